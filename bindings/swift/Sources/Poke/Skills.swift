import Foundation
internal import PokeBindings

extension PokeeClient {
    /// The tenant's custom skills: list, install, replace and delete them.
    public var skills: Skills { Skills(client: self) }
}

/// The custom skills of a tenant (`pokee.skills`); sessions created after an install can use
/// the skill.
///
/// ```swift
/// let installed = try await pokee.skills.install("greeter", from: directoryURL)
/// for skill in try await pokee.skills.list() { print(skill.name) }
/// try await pokee.skills.delete("greeter")
/// ```
public struct Skills: Sendable {
    /// The client these calls go through.
    public let client: PokeeClient

    var inner: PokeBindings.PokeeClient { client.inner }

    /// The custom skills installed for the tenant (not the built-in ones).
    public func list() async throws -> [Skill] {
        try await bridge { try await inner.listSkills() }.map(Skill.init)
    }

    /// Installs skill `name`, or replaces it, from the local `source`: a directory holding
    /// `SKILL.md` (zipped on the fly, in a fixed order) or a `.zip` file.
    ///
    /// The name and a directory are checked before anything is sent
    /// (``PokeError/invalidInput(_:)``). A bundle the server refuses fails with
    /// ``PokeError/APIError/Kind/badRequest`` (or ``PokeError/APIError/Kind/payloadTooLarge``)
    /// and leaves the installed skill as it was.
    @discardableResult
    public func install(
        _ name: String, from source: URL, progress: ProgressHandler<TransferProgress>? = nil
    ) async throws -> InstalledSkill {
        let path = try Poke.path(of: source, argument: "source")
        let listener = progress.map(TransferRelay.init)
        return InstalledSkill(try await bridge {
            try await inner.installSkill(name: name, path: path, listener: listener)
        })
    }

    /// Installs skill `name`, or replaces it, from the bytes of a zip archive.
    @discardableResult
    public func install(
        _ name: String, zip: Data, progress: ProgressHandler<TransferProgress>? = nil
    ) async throws -> InstalledSkill {
        let listener = progress.map(TransferRelay.init)
        return InstalledSkill(try await bridge {
            try await inner.installSkillBytes(name: name, zip: zip, listener: listener)
        })
    }

    /// Uninstalls skill `name` (``PokeError/APIError/Kind/notFound`` when there is none).
    public func delete(_ name: String) async throws {
        try await bridge { try await inner.deleteSkill(name: name) }
    }
}

/// One custom skill of the listing.
public struct Skill: Sendable, Hashable {
    /// The skill's name.
    public let name: String
    /// The size of its `SKILL.md`, in bytes.
    public let skillMDSize: Int
    /// When it was installed.
    public let modifiedAt: Date?

    init(_ skill: PokeBindings.Skill) {
        name = skill.name
        skillMDSize = int(skill.skillMdSize)
        modifiedAt = skill.modified.map(Date.init(unixSeconds:))
    }
}

/// A skill as an install left it.
public struct InstalledSkill: Sendable, Hashable {
    /// The skill's name.
    public let name: String
    /// Its regular files, relative to the skill's root, sorted.
    public let files: [String]
    /// The unpacked size of every file, in bytes.
    public let totalBytes: Int
    /// The size of its `SKILL.md`, in bytes.
    public let skillMDSize: Int

    init(_ skill: PokeBindings.InstalledSkill) {
        name = skill.name
        files = skill.files
        totalBytes = int(skill.totalBytes)
        skillMDSize = int(skill.skillMdSize)
    }
}
