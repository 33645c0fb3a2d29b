import Foundation

extension Architecture {
    /// Parses and validates an architecture file.
    public static func load(contentsOf url: URL) throws -> Architecture {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ArchitectureError(field: url.path, problem: "cannot read file (\(error.localizedDescription))")
        }
        return try decode(data)
    }

    /// Parses and validates architecture JSON.
    public static func decode(_ data: Data) throws -> Architecture {
        guard let root = try? JSONSerialization.jsonObject(with: data) else {
            throw ArchitectureError(field: "(file)", problem: "not valid JSON")
        }
        var reader = JSONReader(root, path: "")
        let architecture = try reader.architecture()
        try architecture.validate()
        return architecture
    }

    /// Pretty, key-sorted JSON for this architecture.
    public func encoded() throws -> Data {
        var object: [String: Any] = [
            "format": Architecture.format, "version": Architecture.currentVersion, "family": family.rawValue,
            "input": ["channels": input.channels, "height": input.height, "width": input.width], "classes": classes,
        ]
        switch family {
        case .resnet, .mobilenetv2:
            if family == .resnet { object["block"] = block.rawValue }
            object["stem"] = ["width": stemWidth, "stride": stemStride]
            object["stages"] = stages.map { stage in
                ["width": stage.width, "stride": stage.stride, "blocks": stage.blocks.map { ["hidden": $0.hidden] }] as [String: Any]
            }
            if family == .mobilenetv2 { object["head"] = ["width": headWidth] }
        case .mlp:
            object["hidden"] = hidden
        }
        if !notes.isEmpty { object["notes"] = notes }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// Writes the JSON atomically.
    public func write(to url: URL) throws { try encoded().write(to: url, options: .atomic) }
}

/// Walks a parsed JSON value, producing errors that name the offending field.
struct JSONReader {
    let value: Any
    let path: String

    init(_ value: Any, path: String) { self.value = value; self.path = path }

    func fail(_ field: String, _ problem: String) -> ArchitectureError {
        ArchitectureError(field: field.isEmpty ? "(root)" : field, problem: problem)
    }
    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func object(allowed: Set<String>) throws -> [String: Any] {
        guard let dict = value as? [String: Any] else { throw fail(path, "must be an object") }
        if let unknown = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw fail(child(unknown), "unknown key (allowed: \(allowed.sorted().joined(separator: ", ")))")
        }
        return dict
    }

    func int(_ dict: [String: Any], _ key: String, default value: Int? = nil, minimum: Int = 1) throws -> Int {
        guard let raw = dict[key] else {
            if let value { return value }
            throw fail(child(key), "missing")
        }
        guard let number = raw as? NSNumber, String(describing: type(of: raw)) != "__NSCFBoolean", String(cString: number.objCType) != "c",
            number.doubleValue == number.doubleValue.rounded(), abs(number.doubleValue) < 1e9
        else {
            throw fail(child(key), "must be an integer, got \(raw)")
        }
        guard number.intValue >= minimum else { throw fail(child(key), "must be ≥ \(minimum), got \(number.intValue)") }
        return number.intValue
    }

    func string(_ dict: [String: Any], _ key: String, default value: String? = nil) throws -> String {
        guard let raw = dict[key] else {
            if let value { return value }
            throw fail(child(key), "missing")
        }
        guard let text = raw as? String else { throw fail(child(key), "must be a string") }
        return text
    }

    mutating func architecture() throws -> Architecture {
        let root = try object(allowed: [
            "format", "version", "family", "block", "input", "classes", "stem", "stages", "head", "hidden", "notes",
        ])
        let format = try string(root, "format", default: Architecture.format)
        guard format == Architecture.format else { throw fail("format", "must be \"\(Architecture.format)\", got \"\(format)\"") }
        let version = try int(root, "version")
        guard version == Architecture.currentVersion else {
            throw fail("version", "version \(version) is not supported (this build reads version \(Architecture.currentVersion))")
        }
        let familyName = try string(root, "family")
        guard let family = Architecture.Family(rawValue: familyName) else {
            throw fail("family", "unknown family \"\(familyName)\" (resnet, mobilenetv2, mlp)")
        }
        let inputReader = JSONReader(root["input"] as Any, path: "input")
        guard root["input"] != nil else { throw fail("input", "missing") }
        let inputDict = try inputReader.object(allowed: ["channels", "height", "width"])
        let input = Architecture.Input(
            channels: try inputReader.int(inputDict, "channels"), height: try inputReader.int(inputDict, "height"),
            width: try inputReader.int(inputDict, "width"))
        var architecture = Architecture(family: family, input: input, classes: try int(root, "classes"))
        if let notes = root["notes"] {
            guard let dict = notes as? [String: Any] else { throw fail("notes", "must be an object of strings") }
            for (key, value) in dict {
                guard let text = value as? String else { throw fail("notes.\(key)", "must be a string") }
                architecture.notes[key] = text
            }
        }
        switch family {
        case .mlp:
            for key in ["block", "stem", "stages", "head"] where root[key] != nil { throw fail(key, "not used by family mlp") }
            guard let list = root["hidden"] as? [Any] else { throw fail("hidden", "missing: a list of hidden layer widths") }
            architecture.hidden = try list.enumerated().map { index, raw in
                try JSONReader(["w": raw], path: "hidden").int(["w": raw], "w", minimum: 1, field: "hidden[\(index)]")
            }
        case .resnet, .mobilenetv2:
            if root["hidden"] != nil { throw fail("hidden", "only used by family mlp") }
            if family == .resnet {
                let name = try string(root, "block", default: "basic")
                guard let kind = Architecture.BlockKind(rawValue: name) else {
                    throw fail("block", "unknown block \"\(name)\" (basic, bottleneck)")
                }
                architecture.block = kind
            } else if root["block"] != nil {
                throw fail("block", "only used by family resnet")
            }
            guard root["stem"] != nil else { throw fail("stem", "missing") }
            let stemReader = JSONReader(root["stem"] as Any, path: "stem")
            let stem = try stemReader.object(allowed: ["width", "stride"])
            architecture.stemWidth = try stemReader.int(stem, "width")
            architecture.stemStride = try stemReader.int(stem, "stride", default: 1)
            guard let stages = root["stages"] as? [Any], !stages.isEmpty else { throw fail("stages", "missing or empty") }
            architecture.stages = try stages.enumerated().map { index, raw in
                let reader = JSONReader(raw, path: "stages[\(index)]")
                let dict = try reader.object(allowed: ["width", "stride", "blocks"])
                guard let blocks = dict["blocks"] as? [Any], !blocks.isEmpty else {
                    throw fail("stages[\(index)].blocks", "missing or empty (a stage keeps at least one block)")
                }
                return Architecture.Stage(
                    width: try reader.int(dict, "width"), stride: try reader.int(dict, "stride", default: 1),
                    blocks: try blocks.enumerated().map { b, rawBlock in
                        let blockReader = JSONReader(rawBlock, path: "stages[\(index)].blocks[\(b)]")
                        return Architecture.Block(hidden: try blockReader.int(try blockReader.object(allowed: ["hidden"]), "hidden"))
                    })
            }
            if family == .mobilenetv2 {
                guard root["head"] != nil else { throw fail("head", "missing (mobilenetv2 needs head.width)") }
                let headReader = JSONReader(root["head"] as Any, path: "head")
                architecture.headWidth = try headReader.int(try headReader.object(allowed: ["width"]), "width")
            } else if root["head"] != nil {
                throw fail("head", "only used by family mobilenetv2")
            }
        }
        return architecture
    }
}

extension JSONReader {
    /// `int` reporting a custom field path.
    func int(_ dict: [String: Any], _ key: String, minimum: Int, field: String) throws -> Int {
        do { return try JSONReader(value, path: "").int(dict, key, minimum: minimum) } catch let error as ArchitectureError {
            throw ArchitectureError(field: field, problem: error.problem)
        }
    }
}

/// Inside other Codable values (plans, reports) an architecture is its JSON text.
extension Architecture: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Architecture.decode(Data(text.utf8))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(String(decoding: try encoded(), as: UTF8.self))
    }
}
