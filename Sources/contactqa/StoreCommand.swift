import ArgumentParser
import ContactQA
import Foundation

/// `contactqa store init|status`: create a store (on SQLite, one PostgreSQL server, or a coordinator
/// with shards) and show what it holds.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Create a store, or show its state (for a sharded PostgreSQL store: every shard, its rows and whether it is reachable).",
        subcommands: [Init.self, Status.self]
    )

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an empty store. With --shard, a PostgreSQL store whose contacts and legs are spread over the shard servers by customer.")

        @Option(help: "The store: a SQLite file, or a postgres://user@host:port/db URL (the coordinator when --shard is given).")
        var store: String

        @Option(help: "The site's IANA timezone (e.g. Europe/London): local dates, weeks and hours are reckoned in it.")
        var timezone: String

        @Option(name: .customLong("shard"), help: "A shard's postgres:// URL, once per shard (an empty database; the coordinator's server must reach it at that address).")
        var shards: [String] = []

        func validate() throws {
            if !shards.isEmpty, !PostgresStore.isURL(store) { throw ValidationError("--shard needs a postgres:// --store (the coordinator)") }
            if let bad = shards.first(where: { !PostgresStore.isURL($0) }) { throw ValidationError("--shard \(bad) is not a postgres:// URL") }
        }

        func run() throws {
            if shards.isEmpty {
                _ = try openStore(store, createWithTimeZone: timezone)
                print("created \(store) (timezone \(timezone))")
                return
            }
            let created = try PostgresStore.createSharded(url: store, shards: shards, timeZone: timezone)
            print("created \(store) (timezone \(timezone)) with \(created.shardCount) shards:")
            for (i, shard) in shards.enumerated() { print("  shard \(i + 1): \(shard)") }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The store's timezone, contacts and legs; for a sharded store each shard's address, rows and reachability (exit 1 when a shard cannot be reached).")

        @OptionGroup var store: StoreOptions

        func run() throws {
            let opened = try store.open()
            let shards = try (opened as? PostgresStore)?.shardStatus() ?? []
            print("store: \(opened.location)")
            print("timezone: \(opened.siteTimeZone)")
            if shards.allSatisfy(\.reachable) {
                let counts = try opened.contactAndLegCounts()
                print("contacts: \(counts.contacts)")
                print("legs: \(counts.legs)")
            }
            guard !shards.isEmpty else { return }
            print("shards: \(shards.count)")
            for shard in shards {
                if shard.reachable {
                    print("  shard \(shard.index) \(shard.server): reachable, \(shard.contacts ?? 0) contacts, \(shard.legs ?? 0) legs")
                } else {
                    print("  shard \(shard.index) \(shard.server): UNREACHABLE: \(shard.error ?? "no answer")")
                }
            }
            if shards.contains(where: { !$0.reachable }) { throw ExitCode(1) }
        }
    }
}
