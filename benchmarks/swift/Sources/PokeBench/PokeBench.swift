// The Swift row of benchmarks/langs.py (run by scripts/swift-chroot.sh `run` where Swift is
// in a chroot). Sequential `sendMessage` calls against a server already running, awaited one
// after another as an app does: `--url URL` (the Poke API base URL), `--warmup S`, `--duration S`. Prints one
// JSON object (calls/s, p50/p99 µs, process CPU µs per call), as benchmarks/worker.py does.
import Foundation
import Poke
#if canImport(Glibc)
import Glibc
#endif

let message = "Summarize my unread emails from today and tell me which ones need a reply"

func option(_ name: String, _ fallback: String) -> String {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return fallback }
    return args[i + 1]
}

func cpuSeconds() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
}

@main
struct PokeBench {
    static func main() async throws {
        let url = URL(string: option("--url", ""))
        let warmup = Double(option("--warmup", "0.5")) ?? 0.5
        let duration = Double(option("--duration", "2")) ?? 2
        let client = try PokeClient(apiKey: "bench-key", baseURL: url, maxRetries: 0)

        let warmEnd = Date().addingTimeInterval(warmup)
        while Date() < warmEnd {
            _ = try await client.sendMessage(message)
        }
        var latencies: [Double] = []
        let cpu0 = cpuSeconds()
        let start = Date()
        while Date().timeIntervalSince(start) < duration {
            let t = Date()
            _ = try await client.sendMessage(message)
            latencies.append(Date().timeIntervalSince(t) * 1e6)
        }
        let seconds = Date().timeIntervalSince(start)
        let cpu = cpuSeconds() - cpu0
        latencies.sort()
        let pick = { (q: Double) -> Double in
            latencies.isEmpty ? 0 : latencies[Int((Double(latencies.count - 1) * q).rounded())]
        }
        let calls = latencies.count
        print("{\"calls\": \(calls), \"seconds\": \(seconds), \"per_s\": \(Double(calls) / seconds), "
            + "\"p50_us\": \(pick(0.5)), \"p99_us\": \(pick(0.99)), "
            + "\"cpu_us_per_call\": \(cpu * 1e6 / Double(max(calls, 1)))}")
    }
}
