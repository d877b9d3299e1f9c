import Foundation
internal import PokeBindings

/// How far a file transfer has come.
public struct TransferProgress: Sendable, Hashable {
    /// Bytes transferred so far.
    public let completedBytes: Int
    /// The file's size, when known.
    public let totalBytes: Int?

    /// A progress report (for tests of progress handling).
    public init(completedBytes: Int, totalBytes: Int?) {
        self.completedBytes = completedBytes
        self.totalBytes = totalBytes
    }

    /// `completedBytes / totalBytes` between 0 and 1, when the size is known.
    public var fractionCompleted: Double? {
        guard let totalBytes else { return nil }
        return totalBytes == 0 ? 1 : Double(completedBytes) / Double(totalBytes)
    }
}

/// A progress handler: called in order, one report at a time, while the call runs.
///
/// It runs on the task that performs the call, between two reads or writes, so keep it short.
/// It is `@Sendable` and not isolated to an actor; to update main-actor state, hop:
///
/// ```swift
/// try await session.download("output/deck.pptx", to: file) { progress in
///     Task { @MainActor in model.fraction = progress.fractionCompleted ?? 0 }
/// }
/// ```
///
/// To stop the transfer, cancel the task that awaits it.
public typealias ProgressHandler<Report> = @Sendable (Report) -> Void

/// Hands the generated layer's transfer reports to a handler.
final class TransferRelay: TransferProgressListener {
    let handler: ProgressHandler<TransferProgress>

    init(_ handler: @escaping ProgressHandler<TransferProgress>) {
        self.handler = handler
    }

    func onProgress(doneBytes: UInt64, totalBytes: UInt64?) throws {
        handler(TransferProgress(completedBytes: int(doneBytes), totalBytes: totalBytes.map(int)))
    }
}

/// Hands the generated layer's session records to a handler.
final class WaitRelay: WaitProgressListener {
    let handler: ProgressHandler<SessionInfo>

    init(_ handler: @escaping ProgressHandler<SessionInfo>) {
        self.handler = handler
    }

    func onProgress(session: SessionRecord) throws {
        handler(SessionInfo(session))
    }
}
