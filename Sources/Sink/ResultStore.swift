internal import CSQLite
import Foundation
import Shared

/// Stored Results in SQLite: one row per Result the sink handles, with the frame's node, sequence,
/// capture and receive times, source, drops, coded bytes and error as columns, its timings and task
/// results in the JSON document the sink writes (query them with `json_extract`), and the Result's
/// protobuf bytes as published, so `ladon-sink replay` republishes exactly what subscribers saw, and,
/// where the edge keeps latents (`ladon-edge serve --keep-latents`), the coded Latent itself (a few KB),
/// so `ladon-sink replay --rerun` can run the frame again through another edge model.
/// WAL journal, one transaction per Result: a sink killed mid-write loses no committed row. With
/// `retainRows`, the oldest rows beyond that many are deleted as new ones arrive.
public final class ResultStore {
    public enum StoreError: Error, CustomStringConvertible {
        case sqlite(path: String, action: String, message: String)

        public var description: String {
            switch self {
            case let .sqlite(path, action, message): "result store \(path): cannot \(action): \(message)"
            }
        }
    }

    /// One stored row as `replay` and tests read it.
    public struct Row: Sendable, Equatable {
        public var node: String
        public var sequence: UInt64
        public var captureMicroseconds: Int64
        public var receivedMicroseconds: Int64
        public var error: String?
        public var result: [UInt8]
        /// The serialized Latent, where one was kept.
        public var latent: [UInt8]?
    }

    public let path: String
    public let retainRows: Int?
    private var database: OpaquePointer?
    private var insert: OpaquePointer?
    private var insertsSincePruning = 0

    static let schema = """
        CREATE TABLE IF NOT EXISTS results (
            id INTEGER PRIMARY KEY,
            node TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            capture_us INTEGER NOT NULL,
            received_us INTEGER NOT NULL,
            source TEXT NOT NULL,
            dropped_before INTEGER NOT NULL,
            latent_bytes INTEGER NOT NULL,
            error TEXT,
            document TEXT NOT NULL,
            result BLOB NOT NULL,
            latent BLOB
        );
        CREATE INDEX IF NOT EXISTS results_by_node_and_capture ON results(node, capture_us);
        """

    /// Opens (creating if needed) the store at `path`; `readOnly` for replay and inspection.
    public init(path: String, retainRows: Int? = nil, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        self.retainRows = retainRows
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        guard sqlite3_open_v2(path, &database, flags | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(database)
            database = nil
            throw .sqlite(path: path, action: "open", message: message)
        }
        sqlite3_busy_timeout(database, 2_000)
        if !readOnly {
            // WAL: a commit is in the log before it returns, so a killed sink keeps it; NORMAL syncs at
            // checkpoints only (a power cut may lose the last commits, a crash does not).
            try execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", action: "set the journal mode")
            try execute(Self.schema, action: "create the results table")
            // A store written before latents were kept gains the column; its old rows hold NULL.
            if try !hasLatentColumn() { try execute("ALTER TABLE results ADD COLUMN latent BLOB;", action: "add the latent column") }
            try prepare(
                """
                INSERT INTO results
                (node, sequence, capture_us, received_us, source, dropped_before, latent_bytes, error, document, result, latent)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, into: &insert)
        }
    }

    private func hasLatentColumn() throws(StoreError) -> Bool {
        var statement: OpaquePointer?
        try prepare("SELECT name FROM pragma_table_info('results') WHERE name = 'latent';", into: &statement)
        defer { sqlite3_finalize(statement) }
        return sqlite3_step(statement) == SQLITE_ROW
    }

    deinit { close() }

    public func close() {
        sqlite3_finalize(insert)
        insert = nil
        sqlite3_close(database)
        database = nil
    }

    /// Stores one Result (`payload` its bytes as published, `latent` the Latent it answers where one was
    /// kept) in a transaction of its own.
    public func store(_ result: ResultMessage, payload: [UInt8], latent: [UInt8]? = nil, receivedMicroseconds: Int64) throws(StoreError) {
        guard let insert else { throw .sqlite(path: path, action: "store a Result", message: "the store is read-only or closed") }
        sqlite3_reset(insert)
        let header = result.header
        bind(insert, 1, header.nodeID)
        sqlite3_bind_int64(insert, 2, Int64(bitPattern: header.sequence))
        sqlite3_bind_int64(insert, 3, header.captureTimeMicroseconds)
        sqlite3_bind_int64(insert, 4, receivedMicroseconds)
        bind(insert, 5, header.source)
        sqlite3_bind_int64(insert, 6, Int64(bitPattern: header.droppedBefore))
        sqlite3_bind_int64(insert, 7, Int64(bitPattern: result.latentBytes))
        if let error = result.error { bind(insert, 8, error) } else { sqlite3_bind_null(insert, 8) }
        bind(insert, 9, String(decoding: result.jsonData(), as: UTF8.self))
        _ = payload.withUnsafeBytes { sqlite3_bind_blob(insert, 10, $0.baseAddress, Int32($0.count), sqliteTransient) }
        if let latent {
            _ = latent.withUnsafeBytes { sqlite3_bind_blob(insert, 11, $0.baseAddress, Int32($0.count), sqliteTransient) }
        } else {
            sqlite3_bind_null(insert, 11)
        }
        guard sqlite3_step(insert) == SQLITE_DONE else { throw failure("store a Result") }
        insertsSincePruning += 1
        if let retainRows, insertsSincePruning >= max(1, min(1_000, retainRows / 10)) {
            insertsSincePruning = 0
            try execute("DELETE FROM results WHERE id <= (SELECT MAX(id) FROM results) - \(retainRows);", action: "prune old rows")
        }
    }

    /// Rows in capture order, of one node or all, captured in [from, to) (µs since the epoch).
    public func rows(node: String? = nil, from: Int64 = .min, to: Int64 = .max) throws(StoreError) -> [Row] {
        var statement: OpaquePointer?
        // A store from before latents were kept, opened read-only, has no latent column to read.
        let latent = try hasLatentColumn() ? "latent" : "NULL"
        try prepare(
            """
            SELECT node, sequence, capture_us, received_us, error, result, \(latent) FROM results
            WHERE (?1 IS NULL OR node = ?1) AND capture_us >= ?2 AND capture_us < ?3 ORDER BY capture_us, id
            """, into: &statement)
        defer { sqlite3_finalize(statement) }
        if let node { bind(statement, 1, node) } else { sqlite3_bind_null(statement, 1) }
        sqlite3_bind_int64(statement, 2, from)
        sqlite3_bind_int64(statement, 3, to)
        var rows: [Row] = []
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { return rows }
            guard step == SQLITE_ROW else { throw failure("read rows") }
            rows.append(
                Row(
                    node: text(statement, 0) ?? "", sequence: UInt64(bitPattern: sqlite3_column_int64(statement, 1)),
                    captureMicroseconds: sqlite3_column_int64(statement, 2), receivedMicroseconds: sqlite3_column_int64(statement, 3),
                    error: text(statement, 4), result: blob(statement, 5) ?? [], latent: blob(statement, 6)))
        }
    }

    /// `PRAGMA integrity_check`'s verdict: "ok" for a sound file.
    public func integrity() throws(StoreError) -> String {
        var statement: OpaquePointer?
        try prepare("PRAGMA integrity_check;", into: &statement)
        defer { sqlite3_finalize(statement) }
        guard sqlite3_step(statement) == SQLITE_ROW else { throw failure("check integrity") }
        return text(statement, 0) ?? ""
    }

    // MARK: SQLite calls

    /// SQLite copies a bound value at once (SQLITE_TRANSIENT), so Swift's buffers may go.
    private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func bind(_ statement: OpaquePointer?, _ index: Int32, _ value: String) {
        sqlite3_bind_text(statement, index, value, -1, sqliteTransient)
    }

    /// A BLOB column's bytes; `nil` for NULL.
    private func blob(_ statement: OpaquePointer?, _ column: Int32) -> [UInt8]? {
        guard sqlite3_column_type(statement, column) != SQLITE_NULL else { return nil }
        let count = Int(sqlite3_column_bytes(statement, column))
        return sqlite3_column_blob(statement, column).map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
    }

    private func text(_ statement: OpaquePointer?, _ column: Int32) -> String? {
        sqlite3_column_text(statement, column).map { String(cString: $0) }
    }

    private func prepare(_ sql: String, into statement: inout OpaquePointer?) throws(StoreError) {
        guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK else { throw failure("prepare a statement") }
    }

    private func execute(_ sql: String, action: String) throws(StoreError) {
        guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else { throw failure(action) }
    }

    private func failure(_ action: String) -> StoreError {
        .sqlite(path: path, action: action, message: database.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")
    }
}
