#include <metal_stdlib>
using namespace metal;

// GPU path of the Mish custom layer. Core ML hands feature maps to custom layers as half-precision
// 2D texture arrays with four channels per slice; every lane is computed independently.
kernel void mish(texture2d_array<half, access::read> input [[texture(0)]],
                 texture2d_array<half, access::write> output [[texture(1)]],
                 ushort3 gid [[thread_position_in_grid]])
{
    if (gid.x >= output.get_width() || gid.y >= output.get_height()) {
        return;
    }
    const float4 x = float4(input.read(gid.xy, gid.z));
    // Computed in float: in half precision exp overflows above ~11 and mish would turn into NaN or 0.
    const float4 softplus = select(log(1.0f + exp(x)), x, x > 20.0f);
    output.write(half4(x * tanh(softplus)), gid.xy, gid.z);
}
