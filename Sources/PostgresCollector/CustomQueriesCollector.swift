import Logging
import VigilCore

/// Runs the custom queries file on the target's database. The file is read once when the
/// collector is made; a bad file makes this collector fail (logged once) and nothing else.
/// Results of queries with `cache_seconds` are reused until they are that old.
final class CustomQueriesCollector: StatCollector {
    let name = "queries"
    private let loaded: Result<CustomQueries, CustomQueries.FileError>
    private var cache: [String: (at: ContinuousClock.Instant, families: [MetricFamily])] = [:]

    init(options: PostgresCollectorOptions, logger: Logger) {
        guard let path = options.queriesFile else {
            loaded = .success(CustomQueries(queries: []))
            return
        }
        do {
            loaded = .success(try CustomQueries.load(path: path))
        } catch let e as CustomQueries.FileError {
            logger.error("custom queries file refused", metadata: ["error": "\(e)"])
            loaded = .failure(e)
        } catch {
            loaded = .failure(CustomQueries.FileError(file: path, message: "\(error)"))
        }
    }

    func isEnabled(_ options: PostgresCollectorOptions) -> Bool {
        options.queriesFile != nil && options.isEnabled(name)
    }

    func collect(_ sql: any SQLRunner, _ server: ServerContext) throws -> [MetricFamily] {
        let queries: CustomQueries
        switch loaded {
        case .success(let q): queries = q
        case .failure(let e): throw CollectorUnavailable(reason: "\(e)")
        }
        var set = FamilyBuilder()
        var failures: [String] = []
        let now = ContinuousClock.now
        for q in queries.queries {
            if q.cacheSeconds > 0, let hit = cache[q.namespace], now - hit.at < .milliseconds(Int64(q.cacheSeconds * 1000)) {
                set.append(contentsOf: hit.families)
                continue
            }
            do {
                let families = try CustomQueries.families(q, try sql.query(q.sql, [], prepared: false))
                if q.cacheSeconds > 0 { cache[q.namespace] = (now, families) }
                set.append(contentsOf: families)
            } catch let e as PostgresError where e.connectionUnusable {
                throw e
            } catch let e as PostgresError {
                failures.append("query \(q.namespace): \(e)")
            } catch {
                failures.append("\(error)")
            }
        }
        if !failures.isEmpty { throw PartialFailure(families: set.families, message: failures.joined(separator: "; ")) }
        return set.families
    }
}
