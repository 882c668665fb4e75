import ArgumentParser

/// `--format` for commands that print facts or results.
enum FactsFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}

/// `--root DIR`: audit a mounted image or chroot offline.
struct RootOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read every file fact below DIR (a mounted image or chroot); live-kernel facts are marked unavailable.",
            valueName: "DIR"))
    var root: String?
}
