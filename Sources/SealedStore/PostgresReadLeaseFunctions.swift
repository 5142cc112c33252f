/// The database functions that order lease grants against commits (schema version 3).
///
/// Why functions: a writer revokes leases inside its commit (no extra round trip), but in READ
/// COMMITTED a statement's snapshot is taken when it starts, so a lease committed after that and
/// before the commit would be invisible to a revocation written as a plain CTE of a statement
/// that waited for the locks itself, and its holder could read and cache the value from before
/// the write. Each statement inside a VOLATILE PL/pgSQL function takes a fresh snapshot instead,
/// and the functions take a per-namespace advisory lock first. (On the node's own commit
/// connection, the locks are instead a first statement of the commit's pipeline,
/// `PostgresReadLeaseSQL.lockSQL`, so the commit statement after it starts, and takes its
/// snapshot, with the locks held: the same order without a function.)
///
/// - a writer takes it *shared* (writers never wait for each other), held until its commit;
/// - a grant takes it *exclusive* before it writes its row, held until the grant commits.
///
/// Either the writer holds it first: the grant waits until the write committed, and every read
/// the lease covers begins after the grant's answer, so it sees the write. Or the grant holds it
/// first: the writer's lock is granted only after the grant committed (PostgreSQL releases a
/// transaction's locks after making it visible), so the revocation's fresh snapshot, taken after
/// the lock, sees the lease and revokes it. A grant's own snapshot does not matter: its
/// `INSERT … ON CONFLICT DO UPDATE` acts on the latest row version. Renewals take no lock: they
/// only extend a row that is live and not revoked, and row locks order them against a
/// revocation (whichever comes second sees the other).
///
/// The lock key is the namespace's first 8 bytes (namespaces are HMACs, so uniformly spread) in
/// the two-key advisory lock space, apart from the one-key space of the migration's lock; two
/// namespaces sharing a key only wait for each other needlessly. A writer takes its namespaces'
/// locks in sorted key order, and (the function runs before the statement's writes) before any
/// row lock of its commit.
extension PostgresReadLeaseSQL {
    /// `CREATE OR REPLACE` statements, run by every migration (each is one whole statement).
    static let functions = [lockFunction, grantFunction, revokeFunction]

    /// Takes namespace `ns`'s lease lock, shared or exclusive, until the transaction ends.
    /// Refuses any isolation level but READ COMMITTED, whose fresh snapshot per statement the
    /// ordering above needs (the store's sessions ask for it at startup; a transaction at
    /// another level, e.g. behind a pooler that drops startup parameters, fails loudly).
    static let lockFunction = """
        CREATE OR REPLACE FUNCTION enclaveos_read_lease_lock(ns bytea, exclusive boolean) RETURNS void
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            k bytea := substr(ns || decode('0000000000000000', 'hex'), 1, 8);
            high int4 := ('x' || encode(substr(k, 1, 4), 'hex'))::bit(32)::int4;
            low int4 := ('x' || encode(substr(k, 5, 4), 'hex'))::bit(32)::int4;
        BEGIN
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE EXCEPTION 'read leases need READ COMMITTED, not %', current_setting('transaction_isolation');
            END IF;
            IF exclusive THEN
                PERFORM pg_advisory_xact_lock(high, low);
            ELSE
                PERFORM pg_advisory_xact_lock_shared(high, low);
            END IF;
        END $$
        """

    /// A fresh grant: replaces whatever row node `holder` had for `ns` (its holder dropped what
    /// that row covered first), but never a later grant of the same node: a node numbers its
    /// grants in increasing order, and a grant it gave up on while its statement was still on
    /// its way (or waiting for the lock) must not overwrite, and so un-revoke, a newer grant's
    /// row that a writer is waiting on. `now()` is the transaction's start, which comes after the
    /// holder read its clock before sending, so the database counts the lease live at least as
    /// long as the holder trusts it (the holder stops a margin earlier still).
    static let grantFunction = """
        CREATE OR REPLACE FUNCTION enclaveos_grant_read_lease(ns bytea, holder bytea, grant_id bigint, milliseconds bigint)
        RETURNS void LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM enclaveos_read_lease_lock(ns, true);
            INSERT INTO enclaveos_read_leases (namespace, node, lease_id, expires_at, revoked)
            VALUES (ns, holder, grant_id, now() + milliseconds * interval '1 millisecond', false)
            ON CONFLICT (namespace, node) DO UPDATE
            SET lease_id = EXCLUDED.lease_id, expires_at = EXCLUDED.expires_at, revoked = false
            WHERE enclaveos_read_leases.lease_id < EXCLUDED.lease_id;
        END $$
        """

    /// A writer's revocation (in a commit statement through PostgresNIO, or alone): every lease of another node
    /// on `namespaces` that could still be renewed is marked revoked, and the live ones are
    /// returned, each with its holder notified (`ReadLeaseMessage` layout; delivered when the
    /// transaction commits). A renewal needs a live row, so one that expired over a minute ago
    /// cannot come back; skipping those keeps dead nodes' rows out of the update.
    ///
    /// Two statements, each with its own snapshot, since the revocation's must be taken after
    /// the locks: the first takes every namespace's lock shared, in sorted key order, its key
    /// derived exactly as `lockFunction` derives it (so grants and writers meet on the same
    /// lock; a key shared by two namespaces is taken once); the second revokes and notifies
    /// (the `CASE` keeps the notification to live leases: PostgreSQL may reorder `AND`). Between
    /// them, a cheap check skips the revocation when no other node has a lease row on these
    /// namespaces at all (the common case of a node writing alone; the update and its
    /// `RETURNING` cost a commit ~60 µs of the database's time even when they change nothing).
    /// Its snapshot is taken after the locks too, so it sees every grant that can matter: a
    /// later grant waits for this commit, and a renewal only extends a row the check saw.
    static let revokeFunction: String = """
        CREATE OR REPLACE FUNCTION enclaveos_revoke_read_leases(namespaces bytea[], writer bytea, channel text)
        RETURNS TABLE(holder bytea, leased bytea, grant_id bigint) LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            IF current_setting('transaction_isolation') <> 'read committed' THEN
                RAISE EXCEPTION 'read leases need READ COMMITTED, not %', current_setting('transaction_isolation');
            END IF;
            PERFORM pg_advisory_xact_lock_shared(k.high, k.low) FROM (
                SELECT DISTINCT ('x' || encode(substr(p, 1, 4), 'hex'))::bit(32)::int4 AS high,
                                ('x' || encode(substr(p, 5, 4), 'hex'))::bit(32)::int4 AS low
                FROM unnest(namespaces) AS u(n), substr(n || decode('0000000000000000', 'hex'), 1, 8) AS p
                ORDER BY high, low) AS k;
            IF NOT EXISTS (SELECT 1 FROM enclaveos_read_leases l WHERE l.namespace = ANY(namespaces) AND l.node <> writer) THEN
                RETURN;
            END IF;
            RETURN QUERY
            WITH r AS (\(revokingUpdate(namespaces: "namespaces", writer: "writer")))
            \(liveRevoked(from: "r", channel: "channel"));
        END $$
        """

    /// The revocation's UPDATE, over `namespaces` (a `bytea[]`) by node `writer` (SQL
    /// expressions): every lease of another node on them that could still be renewed (a renewal
    /// needs a live row, so one that expired over a minute ago cannot come back) is marked
    /// revoked. Returns the rows it revoked. Run in `revokeFunction`, and inline in a commit
    /// statement sent after the lease locks were taken (`PostgresWriteStatement.Revocation`).
    static func revokingUpdate(namespaces: String, writer: String) -> String {
        """
        UPDATE enclaveos_read_leases l SET revoked = true
                WHERE l.namespace = ANY(\(namespaces)) AND l.node <> \(writer) AND l.expires_at > now() - interval '60 seconds'
                RETURNING l.namespace, l.node, l.lease_id, l.expires_at
        """
    }

    /// The live leases among `revoked`'s rows (a `revokingUpdate`) as (holder, namespace, lease
    /// id), each holder notified on `channel` (`ReadLeaseMessage` layout; delivered when the
    /// transaction commits). The `CASE` keeps the notification to live leases: PostgreSQL may
    /// reorder `AND`.
    static func liveRevoked(from revoked: String, channel: String) -> String {
        """
        SELECT r.node, r.namespace, r.lease_id FROM \(revoked) r
            WHERE CASE WHEN r.expires_at > now()
                  THEN pg_notify(\(channel), 'i' || encode(r.node, 'hex') || ':' || encode(r.namespace, 'hex') || ':' || r.lease_id::text)::text = ''
                  ELSE false END
        """
    }
}
