import Foundation
internal import PokeBindings

extension Session {
    /// The entries of one workspace directory (the root without `directory`), as far as the
    /// session's file scope allows.
    public func files(in directory: String? = nil) async throws -> [FileEntry] {
        try await bridge { try await inner.listFiles(sessionId: id, dir: directory) }.map(FileEntry.init)
    }

    /// Downloads the workspace file at `path` to the local file `destination`, in constant
    /// memory, and returns its size in bytes.
    ///
    /// `destination` appears only once the download is complete: a failed or cancelled
    /// download leaves nothing behind.
    @discardableResult
    public func download(
        _ path: String, to destination: URL, progress: ProgressHandler<TransferProgress>? = nil
    ) async throws -> Int {
        let dest = try Poke.path(of: destination, argument: "destination")
        let listener = progress.map(TransferRelay.init)
        return int(try await bridge {
            try await inner.downloadFile(sessionId: id, path: path, dest: dest, listener: listener)
        })
    }

    /// Uploads the local file `source` to the workspace path `path`, streamed in constant
    /// memory; it replaces any file there.
    @discardableResult
    public func upload(
        contentsOf source: URL, to path: String, progress: ProgressHandler<TransferProgress>? = nil
    ) async throws -> UploadResult {
        let src = try Poke.path(of: source, argument: "source")
        let listener = progress.map(TransferRelay.init)
        return UploadResult(try await bridge {
            try await inner.uploadFile(sessionId: id, path: path, src: src, listener: listener)
        })
    }

    /// Uploads `data` to the workspace path `path`; it replaces any file there.
    @discardableResult
    public func upload(_ data: Data, to path: String) async throws -> UploadResult {
        UploadResult(try await bridge { try await inner.uploadBytes(sessionId: id, path: path, data: data) })
    }

    /// Deletes the workspace file at `path`.
    public func deleteFile(at path: String) async throws {
        try await bridge { try await inner.deleteFile(sessionId: id, path: path) }
    }
}
