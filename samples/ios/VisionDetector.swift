// Running a model converted with `yolo4convert ... --nms` through Vision: an ML Program package
// (`yolov4.mlpackage --nms`, iOS 15+) or a NeuralNetwork model (`yolov4.mlmodel --nms`, iOS 12+). Xcode compiles
// either into `yolov4.mlmodelc` in the app bundle; a package downloaded at run time goes through `compile(_:)`.
// The model decodes its heads and runs per-class non-maximum suppression itself, so Vision returns finished
// VNRecognizedObjectObservations: labels with confidences and a bounding box.
import CoreGraphics
import CoreML
import Vision

struct Detection {
    let label: String
    let confidence: Float
    /// Normalised to the original image, origin at the top-left (UIKit's convention).
    let box: CGRect
}

final class VisionDetector {
    private let model: VNCoreMLModel
    private let letterbox: Bool
    private let inputSize: CGSize

    /// Overrides of the model's thresholds. nil (the default) leaves the model's own: the values given to
    /// `--iou` / `--confidence` at conversion (0.45 / 0.25 unless set), stored in its NMS stage and used whenever
    /// the optional inputs `iouThreshold` / `confidenceThreshold` are not passed.
    var iouThreshold: Double? { didSet { updateThresholds() } }
    var confidenceThreshold: Double? { didSet { updateThresholds() } }

    /// `url` is a compiled model (`.mlmodelc`). `computeUnits` defaults to `.all`: an fp16 ML Program may then run
    /// on the Neural Engine.
    init(url: URL, iouThreshold: Double? = nil, confidenceThreshold: Double? = nil, computeUnits: MLComputeUnits = .all) throws {
        let configuration = MLModelConfiguration()
        configuration.computeUnits = computeUnits
        let mlModel = try MLModel(contentsOf: url, configuration: configuration)
        model = try VNCoreMLModel(for: mlModel)
        self.iouThreshold = iouThreshold
        self.confidenceThreshold = confidenceThreshold
        let metadata = mlModel.modelDescription.metadata[.creatorDefinedKey] as? [String: String] ?? [:]
        letterbox = metadata["input.resize"] == "letterbox"
        inputSize = CGSize(width: Double(metadata["input.width"] ?? "") ?? 416, height: Double(metadata["input.height"] ?? "") ?? 416)
        updateThresholds() // property observers do not run during init
    }

    /// Compiles a model file fetched at run time (`.mlpackage` or `.mlmodel`) into a `.mlmodelc` for `init(url:)`;
    /// models added to the Xcode project are compiled at build time instead. Move the result somewhere permanent
    /// to keep it: it is created in a temporary folder.
    @available(iOS 16.0, macOS 13.0, *)
    static func compile(_ modelFile: URL) async throws -> URL {
        try await MLModel.compileModel(at: modelFile)
    }

    /// Passes only the thresholds the app set; an input left out takes the model's default.
    private func updateThresholds() {
        var values: [String: MLFeatureValue] = [:]
        if let iou = iouThreshold { values["iouThreshold"] = MLFeatureValue(double: iou) }
        if let confidence = confidenceThreshold { values["confidenceThreshold"] = MLFeatureValue(double: confidence) }
        if values.isEmpty {
            model.featureProvider = nil
        } else {
            model.featureProvider = try? MLDictionaryFeatureProvider(dictionary: values)
        }
    }

    func detect(_ image: CGImage, completion: @escaping ([Detection]) -> Void) throws {
        let imageSize = CGSize(width: image.width, height: image.height)
        let request = VNCoreMLRequest(model: model) { [letterbox, inputSize] request, _ in
            let observations = request.results as? [VNRecognizedObjectObservation] ?? []
            completion(observations.compactMap { observation in
                guard let best = observation.labels.first else { return nil }
                // Vision's boundingBox is normalised with the origin at the lower-left: flip y for UIKit.
                var box = observation.boundingBox
                box.origin.y = 1 - box.origin.y - box.height
                if letterbox { box = VisionDetector.undoLetterbox(box, image: imageSize, input: inputSize) }
                return Detection(label: best.identifier, confidence: best.confidence, box: box)
            })
        }
        // Darknet stretches the image to the network size (input.resize = stretch) unless the cfg sets
        // letter_box=1; .scaleFit letterboxes (its bars are not Darknet's grey 0.5) and the boxes then are
        // relative to the letterboxed square, which undoLetterbox maps back to the image.
        request.imageCropAndScaleOption = letterbox ? .scaleFit : .scaleFill
        try VNImageRequestHandler(cgImage: image).perform([request])
    }

    /// Maps a box from the letterboxed network input back to the original image (Darknet's correct_yolo_boxes).
    static func undoLetterbox(_ box: CGRect, image: CGSize, input: CGSize) -> CGRect {
        let scale = min(input.width / image.width, input.height / image.height)
        let used = CGSize(width: image.width * scale / input.width, height: image.height * scale / input.height)
        let pad = CGPoint(x: (1 - used.width) / 2, y: (1 - used.height) / 2)
        return CGRect(x: (box.minX - pad.x) / used.width, y: (box.minY - pad.y) / used.height,
                      width: box.width / used.width, height: box.height / used.height)
    }
}
