#!/usr/bin/env python3
"""What SQLite alone costs per refresh with Authdesk's schema (docs/performance.md, "The load
generator's sleep"): the writes of one refresh + `openid` as the server's writer runs them —
the facts read, the parent's update, the child, its access token, the audit event and its
seal — in batches of N (one `BEGIN IMMEDIATE … COMMIT`, WAL, synchronous=FULL), with
time-ordered ids like the server's UUIDv7. Prints CPU per refresh on a file and in memory
(the difference is the file's I/O) and the WAL pages each refresh writes.

    taskset -c 1 python3 bench/sqlite-floor.py [N] [--no-savepoint] [--by-id]

--no-savepoint: the batch without the writer's `SAVEPOINT batch`. --by-id: refresh tokens found
by their row id (a token that would carry it beside its secret) in a table without the
token-hash index.

A measurement sketch, not a benchmark of the server: Python adds its own few µs per statement
to both figures.
"""
import glob, hashlib, itertools, json, os, sqlite3, sys, tempfile, time

MIGRATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "migrations", "*.sql")
NO_SAVEPOINT = "--no-savepoint" in sys.argv
BY_ID = "--by-id" in sys.argv
# The refresh_tokens table of the migrations without its token-hash index.
WITHOUT_HASH_INDEX = """
PRAGMA foreign_keys=OFF;
DROP INDEX refresh_tokens_grant; DROP INDEX refresh_tokens_expiry; DROP INDEX refresh_tokens_parent;
ALTER TABLE refresh_tokens RENAME TO old_refresh_tokens;
CREATE TABLE refresh_tokens (
    id TEXT PRIMARY KEY NOT NULL, grant_id TEXT NOT NULL REFERENCES grants (id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES refresh_tokens (id), token_hash BLOB NOT NULL,
    issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, consumed_at INTEGER,
    last_used_at INTEGER, use_count INTEGER NOT NULL DEFAULT 0);
DROP TABLE old_refresh_tokens;
CREATE INDEX refresh_tokens_grant ON refresh_tokens (grant_id, issued_at);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_parent ON refresh_tokens (parent_id) WHERE parent_id IS NOT NULL;
PRAGMA foreign_keys=ON;
"""
_counter = itertools.count()


def v7():
    return "%016x-%08x" % (time.time_ns(), next(_counter))


def run(path, n, batches=300, grants=32, checkpoints=True):
    c = sqlite3.connect(path, isolation_level=None)
    c.execute("PRAGMA journal_mode=WAL")
    c.execute("PRAGMA synchronous=FULL")
    c.execute("PRAGMA foreign_keys=ON")
    c.execute("PRAGMA cache_size=-16384")
    c.execute("PRAGMA temp_store=MEMORY")
    if not checkpoints:
        c.execute("PRAGMA wal_autocheckpoint=0")
    for f in sorted(glob.glob(MIGRATIONS)):
        c.executescript(open(f).read())
    if BY_ID:
        c.executescript(WITHOUT_HASH_INDEX)
    c.execute("INSERT INTO clients (id, name, settings, enabled, created_at, updated_at) VALUES ('app', 'app', '{}', 1, 0, 0)")
    c.execute("INSERT INTO users (sub, username, password_hash, claims, created_at, updated_at) VALUES ('u1', 'alice', 'x', '{\"email\": \"a@b.c\"}', 0, 0)")
    chains = {}
    c.execute("BEGIN")
    for g in range(grants):
        gid, tid, h = v7(), v7(), os.urandom(32)
        c.execute("INSERT INTO grants (id, client_id, sub, scope, auth_time, created_at, chain_started_at, chain_ends_at) VALUES (?, 'app', 'u1', 'openid email', 0, 0, 0, 31536000)", (gid,))
        c.execute("INSERT INTO refresh_tokens (id, grant_id, parent_id, token_hash, issued_at, expires_at) VALUES (?, ?, NULL, ?, 0, 7776000)", (tid, gid, h))
        chains[g] = (tid, h, gid)
    c.execute("COMMIT")
    wal_before = os.path.getsize(path + "-wal") if path != ":memory:" else 0
    facts = "SELECT r.*, g.*, u.claims FROM refresh_tokens r JOIN grants g ON g.id = r.grant_id LEFT JOIN users u ON u.sub = g.sub WHERE r.%s IN (%s)" % ("id" if BY_ID else "token_hash", ",".join("?" * n))
    seq = 0
    started = time.process_time()
    for b in range(batches):
        c.execute("BEGIN IMMEDIATE")
        if not NO_SAVEPOINT:
            c.execute("SAVEPOINT batch")
        group = [(b * n + i) % grants for i in range(n)]
        c.execute(facts, [chains[g][0 if BY_ID else 1] for g in group]).fetchall()
        for g in group:
            tid, _, gid = chains[g]
            nid, nh = v7(), os.urandom(32)
            c.execute("UPDATE refresh_tokens SET consumed_at = ?, last_used_at = ?, use_count = use_count + 1 WHERE id = ? AND consumed_at IS NULL", (b, b, tid))
            c.execute("INSERT INTO refresh_tokens (id, grant_id, parent_id, token_hash, issued_at, expires_at, consumed_at, last_used_at, use_count) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 0)", (nid, gid, tid, nh, b, b + 7776000))
            c.execute("INSERT INTO access_tokens (jti, client_id, sub, grant_id, refresh_token_id, scope, issued_at, expires_at) VALUES (?, 'app', 'u1', ?, ?, 'openid email', ?, ?)", (v7(), gid, nid, b, b + 600))
            c.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, 'http', 'token.refresh', ?, ?)", (b, gid, json.dumps({"client_id": "app", "parent": tid, "child": nid})))
            chains[g] = (nid, nh, gid)
        unsealed = c.execute("SELECT id, at, actor, action, target, detail, recorded_at, hash, chain_seq FROM audit WHERE hash IS NULL ORDER BY id").fetchall()
        c.execute("SELECT chain_seq, hash FROM audit WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1").fetchone()
        for row in unsealed:
            seq += 1
            c.execute("UPDATE audit SET hash = ?, recorded_at = ?, chain_seq = ? WHERE id = ?", (hashlib.sha256(repr(row).encode()).digest(), b, seq, row[0]))
        c.execute("COMMIT")
    cpu = (time.process_time() - started) * 1e6 / (batches * n)
    pages = None
    if path != ":memory:" and not checkpoints:
        pages = (os.path.getsize(path + "-wal") - wal_before) / (4096 + 24) / (batches * n)
    c.close()
    return cpu, pages


def main():
    numbers = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(numbers[0]) if numbers else 12
    with tempfile.TemporaryDirectory() as d:
        on_file, _ = run(os.path.join(d, "a.db"), n)
        _, pages = run(os.path.join(d, "b.db"), n, checkpoints=False)
    in_memory, _ = run(":memory:", n)
    print(f"batches of {n}: {on_file:.0f} µs CPU per refresh on a file, {in_memory:.0f} µs in memory; {pages:.1f} WAL pages per refresh")


if __name__ == "__main__":
    main()
