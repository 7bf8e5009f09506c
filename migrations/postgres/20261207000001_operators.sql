-- Operators: the people who use the console and the CLI on a registry, each with a role
-- (authdesk_core::roles: admin, support, auditor). A production registry's console signs them
-- in; every audit event names the one who acted. Names are unique by key, as people's are
-- (authdesk_core::names).
CREATE TABLE operators (
    username      TEXT PRIMARY KEY NOT NULL,
    username_key  TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled_at   BIGINT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX operators_by_name_key ON operators (username_key);
