import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import AppCollector

/// S3 listings against moto's S3 server on loopback (started by scripts/test), with moto's
/// signature and access-key checks switched on after the set-up.
@Suite("Backups: S3 ListObjectsV2 against moto", .serialized)
struct S3BackupTests {
    struct Credentials: Decodable {
        var id: String
        var secret: String
    }

    /// Creates a user with S3 access, a bucket and `count` objects under `pg/` (object i has
    /// i + 1 bytes, written in order), then turns moto's authentication on.
    static func setUp(_ url: String, bucket: String, count: Int) throws -> Credentials {
        let script = """
        import boto3, json, sys, urllib.request
        url, bucket, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
        def auth(n):
            urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset-auth", data=n, method="POST", headers={"Content-Type": "text/plain"})).read()
        auth(b"inf")
        kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup")
        iam, s3 = boto3.client("iam", **kw), boto3.client("s3", **kw)
        user = "vigil-" + bucket
        iam.create_user(UserName=user)
        iam.put_user_policy(UserName=user, PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName=user)["AccessKey"]
        s3.create_bucket(Bucket=bucket)
        for i in range(count):
            s3.put_object(Bucket=bucket, Key="pg/dump-%04d.sql.gz" % i, Body=b"x" * (i + 1))
        s3.put_object(Bucket=bucket, Key="pg/", Body=b"")
        s3.put_object(Bucket=bucket, Key="wal/000000010000000000000001", Body=b"w" * 16)
        auth(b"0")
        print(json.dumps({"id": key["AccessKeyId"], "secret": key["SecretAccessKey"]}))
        """
        var env = ProcessInfo.processInfo.environment
        if let path = TestEnvironment.env["VIGIL_TEST_S3_PYTHONPATH"] { env["PYTHONPATH"] = path }
        let python = TestEnvironment.env["VIGIL_TEST_S3_PYTHON"] ?? TestEnvironment.executable("python3") ?? "/usr/bin/python3"
        let out = try Subprocess.run(python, ["-c", script, url, bucket, String(count)], environment: env, timeout: 120)
        guard out.status == 0 else { throw CollectorError("moto set-up failed: \(out.stderr.suffix(800))") }
        return try JSONDecoder().decode(Credentials.self, from: Data(out.stdout.utf8))
    }

    static func location(_ url: String, _ bucket: String, _ c: Credentials, prefix: String = "pg") -> S3Location {
        S3Location(bucket: bucket, prefix: prefix, endpoint: url, region: "us-east-1", accessKeyID: c.id,
                   secretAccessKey: c.secret, tls: .init())
    }

    @Test("a signed, paged listing finds every object under the prefix, skipping folder markers")
    func pagedListing() throws {
        guard let url = TestEnvironment.value("VIGIL_TEST_S3_URL") else { return }
        let bucket = "paged-\(UInt32.random(in: 0...UInt32.max))"
        let c = try Self.setUp(url, bucket: bucket, count: 23)
        let lister = S3Lister(location: Self.location(url, bucket, c), pageSize: 5)
        let entries = try lister.list(maxObjects: 1000, deadline: .now + .seconds(30))
        #expect(entries.count == 23)
        #expect(Set(entries.map(\.name)) == Set((0..<23).map { String(format: "pg/dump-%04d.sql.gz", $0) }))
        #expect(entries.reduce(0) { $0 + $1.size } == Double((1...23).reduce(0, +)))
        #expect(throws: (any Error).self) { try lister.list(maxObjects: 10, deadline: .now + .seconds(30)) }
    }

    @Test("the collector reports the newest object, the previous one, count and total under its prefix")
    func families() throws {
        guard let url = TestEnvironment.value("VIGIL_TEST_S3_URL") else { return }
        let bucket = "fam-\(UInt32.random(in: 0...UInt32.max))"
        let c = try Self.setUp(url, bucket: bucket, count: 4)
        let yaml = """
        backups:
          - name: offsite
            s3: {bucket: \(bucket), prefix: pg, endpoint: "\(url)", region: us-east-1, access_key_id: \(c.id), secret_access_key: "\(c.secret)"}
        """
        let target = try #require(try readTargets(BackupKind(), yaml).first)
        let before = Date().timeIntervalSince1970
        let f = try collectOnce(target)
        #expect(f.value("backup_files") == 4)
        #expect(f.value("backup_total_size_bytes") == 10)
        #expect(f.value("backup_newest_size_bytes") == 4)
        #expect(f.value("backup_previous_size_bytes") == 3)
        let stamp = try #require(f.value("backup_newest_timestamp_seconds"))
        #expect(abs(stamp - before) < 300)
        #expect(f.family("backup_newest_verified") == nil)
    }

    @Test("a wrong secret or an unknown key fails with the S3 error code and never the secret")
    func wrongCredentials() throws {
        guard let url = TestEnvironment.value("VIGIL_TEST_S3_URL") else { return }
        let bucket = "creds-\(UInt32.random(in: 0...UInt32.max))"
        let c = try Self.setUp(url, bucket: bucket, count: 1)
        for bad in [Credentials(id: c.id, secret: "wrong-secret-value-1234"), Credentials(id: "AKIAUNKNOWNKEY000000", secret: "another-secret-5678")] {
            let yaml = "backups:\n  - {name: b, s3: {bucket: \(bucket), endpoint: \"\(url)\", access_key_id: \(bad.id), secret_access_key: \"\(bad.secret)\"}}\n"
            let target = try #require(try readTargets(BackupKind(), yaml).first)
            do {
                _ = try collectOnce(target)
                Issue.record("a listing with bad credentials succeeded")
            } catch {
                let message = "\(error)"
                #expect(message.contains("HTTP 403"), "\(message)")
                #expect(message.contains("check access_key_id"), "\(message)")
                #expect(!message.contains(bad.secret))
            }
        }
    }

}
