"""The schema and its migrations (sqlite-utils `Migrations`): the one place tables change."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("hitl")


@migrations()
def m001_initial(db: Database) -> None:
    """The first schema."""
    db.executescript(
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE operators (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            status TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            priority INTEGER NOT NULL DEFAULT 0,
            holder TEXT REFERENCES operators(id),
            customer_name TEXT NOT NULL,
            customer_email TEXT,
            customer_token_hash TEXT NOT NULL,
            escalation_reason TEXT,
            waiting_since TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_message TEXT NOT NULL DEFAULT '',
            low_confidence_streak INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX conversations_queue ON conversations (
            status, (waiting_since IS NULL), waiting_since, created_at, id);
        CREATE INDEX conversations_holder ON conversations (holder);
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            operator TEXT,
            draft_id TEXT
        );
        CREATE INDEX messages_conversation ON messages (conversation_id, seq);
        CREATE TABLE drafts (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            text TEXT NOT NULL,
            confidence REAL NOT NULL,
            rationale TEXT NOT NULL,
            sources TEXT NOT NULL,
            flags TEXT NOT NULL,
            status TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            send_at TEXT,
            bot_name TEXT,
            bot_model TEXT,
            instruction TEXT,
            decided_by TEXT,
            decided_at TEXT,
            final_text TEXT
        );
        CREATE INDEX drafts_conversation ON drafts (conversation_id, seq);
        CREATE INDEX drafts_pending ON drafts (status, send_at);
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            type TEXT NOT NULL,
            at TEXT NOT NULL,
            conversation_id TEXT,
            data TEXT NOT NULL
        );
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            role TEXT NOT NULL,
            action TEXT NOT NULL,
            reason_code TEXT,
            note TEXT,
            conversation_id TEXT,
            draft_id TEXT,
            bot_name TEXT,
            bot_model TEXT,
            ai_text_hmac TEXT,
            final_text_hmac TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE INDEX audit_actor ON audit (actor, seq);
        CREATE INDEX audit_action ON audit (action, seq);
        CREATE INDEX audit_reason ON audit (reason_code, seq);
        CREATE INDEX audit_conversation ON audit (conversation_id, seq);
        CREATE INDEX audit_at ON audit (at);
        CREATE TABLE audit_texts (
            seq INTEGER PRIMARY KEY REFERENCES audit(seq),
            ai_text TEXT,
            final_text TEXT
        );
        CREATE TABLE idempotency (
            operator_id TEXT NOT NULL,
            key TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            response TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (operator_id, key)
        );
        """
    )
    if postgres(db):
        # The journal's search index: a stemmed tsvector beside the same columns FTS5 has, so
        # the statements that write and blank it are the same in both dialects.
        db.executescript(
            """
            CREATE TABLE audit_fts (
                rowid INTEGER PRIMARY KEY,
                note TEXT NOT NULL DEFAULT '',
                ai_text TEXT NOT NULL DEFAULT '',
                final_text TEXT NOT NULL DEFAULT '',
                doc tsvector GENERATED ALWAYS AS (
                    to_tsvector('english', note || ' ' || ai_text || ' ' || final_text)) STORED
            );
            CREATE INDEX audit_fts_doc ON audit_fts USING gin (doc);
            """
        )
    else:
        db.execute("CREATE VIRTUAL TABLE audit_fts USING fts5(note, ai_text, final_text)")


def postgres(db: Database) -> bool:
    """Whether a migration runs on PostgreSQL (`store.postgres.PgDatabase`), not SQLite."""
    return getattr(db, "dialect", "sqlite") == "postgresql"


@migrations()
def m002_audit_actor_action(db: Database) -> None:
    """The override log's most common pair of filters: one operator's edits, rejections, ..."""
    db.execute("CREATE INDEX audit_actor_action ON audit (actor, action, seq)")


@migrations()
def m003_audit_fts_stemmed(db: Database) -> None:
    """Rebuild the journal's full-text index with Porter stemming.

    'refund' then finds 'refunds' and 'refunded' with exact terms, instead of
    prefix queries, whose doclists FTS5 materialises whole (slow at a million
    entries). PostgreSQL's index was made stemmed in m001.
    """
    if postgres(db):
        return
    db.executescript(
        """
        DROP TABLE audit_fts;
        CREATE VIRTUAL TABLE audit_fts USING fts5(
            note, ai_text, final_text, tokenize='porter unicode61');
        INSERT INTO audit_fts (rowid, note, ai_text, final_text)
            SELECT a.seq, coalesce(a.note, ''), coalesce(t.ai_text, ''),
                   coalesce(t.final_text, '')
            FROM audit a LEFT JOIN audit_texts t ON t.seq = a.seq;
        """
    )


@migrations()
def m004_draft_jobs(db: Database) -> None:
    """Drafting off the customer's request: one durable job per customer message.

    A job survives a crash (it is queued again at start) and `message_id` is
    unique, so a message is never drafted for twice. `escalation_detail` keeps
    why the AI gave up on a conversation (the model's error), for the console.
    """
    db.executescript(
        """
        CREATE TABLE draft_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            message_id TEXT NOT NULL UNIQUE,
            state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX draft_jobs_open ON draft_jobs (conversation_id, state);
        ALTER TABLE conversations ADD COLUMN escalation_detail TEXT;
        """
    )


@migrations()
def m005_oversight(db: Database) -> None:
    """Issue 16: message marking and corrections, operator lifecycle, retention, calibration."""
    db.executescript(
        """
        ALTER TABLE messages ADD COLUMN edited_by_person INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE messages ADD COLUMN reviewed_by TEXT;
        ALTER TABLE messages ADD COLUMN correction_of TEXT;
        ALTER TABLE messages ADD COLUMN correction_reason TEXT;
        ALTER TABLE operators ADD COLUMN disabled_at TEXT;
        ALTER TABLE operators ADD COLUMN token_issued_at TEXT;
        UPDATE operators SET token_issued_at = created_at;
        ALTER TABLE conversations ADD COLUMN closed_at TEXT;
        ALTER TABLE conversations ADD COLUMN erased_at TEXT;
        ALTER TABLE conversations ADD COLUMN calibration_id TEXT;
        UPDATE conversations SET closed_at = updated_at WHERE status = 'closed';
        CREATE INDEX conversations_email ON conversations (lower(customer_email));
        CREATE INDEX conversations_closed ON conversations (closed_at) WHERE erased_at IS NULL;
        CREATE TABLE escalations (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            reason TEXT NOT NULL,
            at TEXT NOT NULL,
            taken_at TEXT
        );
        CREATE INDEX escalations_at ON escalations (at);
        CREATE INDEX escalations_open ON escalations (conversation_id) WHERE taken_at IS NULL;
        CREATE TABLE calibration_items (
            id TEXT PRIMARY KEY,
            customer_message TEXT NOT NULL,
            draft_text TEXT NOT NULL,
            what_is_wrong TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """
    )


@migrations()
def m006_outbox(db: Database) -> None:
    """Deliveries to the outside (signed webhooks, Chatwoot), written with the change they announce.

    `key` is the delivery's stable id (the Standard Webhooks `webhook-id`), so a
    receiver can drop a repeat; `channel_status` remembers what each
    conversation last announced, so an escalation is announced once.
    """
    db.executescript(
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key TEXT NOT NULL UNIQUE,
            channel TEXT NOT NULL,
            target TEXT NOT NULL,
            conversation_id TEXT,
            kind TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at TEXT NOT NULL,
            sent_at TEXT,
            failed_at TEXT,
            last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_at) WHERE sent_at IS NULL AND failed_at IS NULL;
        CREATE INDEX outbox_conversation ON outbox (conversation_id, id);
        CREATE TABLE channel_status (
            conversation_id TEXT PRIMARY KEY,
            status TEXT NOT NULL
        );
        """
    )


@migrations()
def m007_disclosure_language(db: Database) -> None:
    """Issue 16 (transparency): the customer's language and the disclosure version shown."""
    db.executescript(
        """
        ALTER TABLE conversations ADD COLUMN customer_language TEXT;
        ALTER TABLE conversations ADD COLUMN disclosure_version TEXT;
        """
    )


@migrations()
def m008_chatwoot(db: Database) -> None:
    """Issue 12 (the Chatwoot agent bot): which hitl chat a Chatwoot conversation is, and
    which webhook deliveries were taken already (Chatwoot may repeat one)."""
    db.executescript(
        """
        CREATE TABLE chatwoot_links (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL UNIQUE,
            account_id INTEGER NOT NULL,
            chatwoot_id INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX chatwoot_links_remote ON chatwoot_links (account_id, chatwoot_id, id);
        CREATE TABLE chatwoot_seen (
            key TEXT PRIMARY KEY,
            seen_at TEXT NOT NULL
        );
        CREATE INDEX chatwoot_seen_age ON chatwoot_seen (seen_at);
        """
    )


@migrations()
def m011_leases(db: Database) -> None:
    """Several backend processes (PostgreSQL): a drafting job is leased to the one running it.

    A job whose lease ran out belongs to a process that died: another takes it over.
    """
    db.execute("ALTER TABLE draft_jobs ADD COLUMN lease_until TEXT")
    db.execute("ALTER TABLE draft_jobs ADD COLUMN lease_owner TEXT")
