-- Canvas access tokens (BKFlow §4): stored as a SHA-256 hash (the token is
-- 128 random bits, so a fast hash is enough) and, when a secret key is
-- configured, sealed, so that apply_token can hand an unexpired token out
-- again as BKFlow does.

-- +goose Up
CREATE TABLE tokens (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    space_id        bigint      NOT NULL REFERENCES spaces (id),
    username        varchar(64) NOT NULL,
    resource_type   varchar(16) NOT NULL CHECK (resource_type IN ('TEMPLATE', 'TASK', 'SCOPE')),
    resource_id     varchar(32) NOT NULL,
    permission_type varchar(16) NOT NULL CHECK (permission_type IN ('VIEW', 'EDIT', 'OPERATE', 'MOCK')),
    token_hash      bytea       NOT NULL UNIQUE,
    token_sealed    text,
    expired_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tokens_reuse_idx ON tokens (space_id, username, resource_type, resource_id, permission_type, expired_at DESC);

-- +goose Down
DROP TABLE tokens;
