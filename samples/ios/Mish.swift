import CoreML
import Foundation
import Metal
import Accelerate

/// Core ML custom layer for the `Mish` layers that yolo4convert writes by default (`--mish custom`).
/// Core ML finds the class by its Objective-C name, so it must be exposed as `Mish` in the global namespace.
///
///     mish(x) = x * tanh(softplus(x)),  softplus(x) = log(1 + exp(x))
///
/// `evaluate` runs on the CPU; `encode` runs the same formula on the GPU with `Mish.metal`.
@objc(Mish)
final class Mish: NSObject, MLCustomLayer {
    private static let threshold: Float = 20

    private lazy var pipeline: MTLComputePipelineState? = {
        guard let device = MTLCreateSystemDefaultDevice(),
              let library = device.makeDefaultLibrary(),
              let function = library.makeFunction(name: "mish") else { return nil }
        return try? device.makeComputePipelineState(function: function)
    }()

    init(parameters: [String: Any]) throws {
        super.init()
    }

    func setWeightData(_ weights: [Data]) throws {
        // Mish has no weights.
    }

    func outputShapes(forInputShapes inputShapes: [[NSNumber]]) throws -> [[NSNumber]] {
        return inputShapes
    }

    func evaluate(inputs: [MLMultiArray], outputs: [MLMultiArray]) throws {
        for (input, output) in zip(inputs, outputs) {
            let count = input.count
            let x = input.dataPointer.bindMemory(to: Float.self, capacity: count)
            let y = output.dataPointer.bindMemory(to: Float.self, capacity: count)
            for i in 0..<count {
                let v = x[i]
                // Stable softplus: for large v, log(1 + e^v) == v in float; for very negative v it is e^v.
                let softplus = v > Mish.threshold ? v : (v < -Mish.threshold ? expf(v) : log1pf(expf(v)))
                y[i] = v * tanhf(softplus)
            }
        }
    }

    func encode(commandBuffer: MTLCommandBuffer, inputs: [MTLTexture], outputs: [MTLTexture]) throws {
        guard let pipeline = pipeline, let encoder = commandBuffer.makeComputeCommandEncoder() else {
            throw NSError(domain: "Mish", code: 1, userInfo: [NSLocalizedDescriptionKey: "Mish.metal is not in the app's default Metal library"])
        }
        for (input, output) in zip(inputs, outputs) {
            encoder.setComputePipelineState(pipeline)
            encoder.setTexture(input, index: 0)
            encoder.setTexture(output, index: 1)
            let w = pipeline.threadExecutionWidth
            let h = pipeline.maxTotalThreadsPerThreadgroup / w
            let threadsPerGroup = MTLSize(width: w, height: h, depth: 1)
            let groups = MTLSize(width: (input.width + w - 1) / w,
                                 height: (input.height + h - 1) / h,
                                 depth: input.arrayLength)
            encoder.dispatchThreadgroups(groups, threadsPerThreadgroup: threadsPerGroup)
        }
        encoder.endEncoding()
    }
}
