import ArgumentParser

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accord-bench", abstract: "Accord benchmarks.", subcommands: [StoreBench.self])
}
