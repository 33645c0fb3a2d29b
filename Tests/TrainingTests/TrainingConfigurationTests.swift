import Datasets
import Foundation
import Testing
import Training

@Suite struct TrainingConfigurationTests {
    /// The training split's augmentation carries the cutout with or without crop and flip.
    @Test func augmentationCarriesTheCutout() {
        var c = TrainingConfiguration()
        #expect(c.augmentation(imageSize: 32) == Augmentation(cropPadding: 4, horizontalFlip: true, cutout: 0))
        c.cutout = 16
        #expect(c.augmentation(imageSize: 32) == Augmentation(cropPadding: 4, horizontalFlip: true, cutout: 16))
        c.augment = false
        let cutOnly = c.augmentation(imageSize: 32)
        #expect(cutOnly.cropPadding == 0 && !cutOnly.horizontalFlip && cutOnly.cutout == 16 && cutOnly.isActive)
        c.cutout = 0
        #expect(!c.augmentation(imageSize: 32).isActive)
    }

    /// Configurations stored before `cutout` existed (checkpoints, search plans) still decode, as
    /// cutout 0; new ones round-trip it.
    @Test func storedConfigurationsWithoutCutoutStillDecode() throws {
        var c = TrainingConfiguration()
        c.cutout = 12
        c.epochs = 7
        let data = try JSONEncoder().encode(c)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: data) == c)
        var object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["cutout"] as? Int == 12)
        object.removeValue(forKey: "cutout")
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        var expected = c
        expected.cutout = 0
        #expect(old == expected)
        object.removeValue(forKey: "seed")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}
