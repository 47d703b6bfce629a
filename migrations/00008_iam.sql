-- BlueKing IAM data bkflow decides with: registered systems' models, stored
-- policies (one per subject and action, its condition in IAM's stored
-- format), group memberships, and a generation counter every write bumps so
-- each process knows when to reload its in-memory policy index.

-- +goose Up
CREATE TABLE iam_systems (
    id         text        PRIMARY KEY,
    -- The validated model (policy/model JSON), after its migration applied.
    model      jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE iam_policies (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    system_id    text        NOT NULL,
    action_id    text        NOT NULL,
    subject_type text        NOT NULL CHECK (subject_type IN ('user', 'group')),
    subject_id   text        NOT NULL,
    expression   text        NOT NULL,
    -- Unix seconds; 4102444800 (2100-01-01) is BlueKing's "permanent".
    expired_at   bigint      NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (system_id, action_id, subject_type, subject_id)
);

CREATE TABLE iam_group_members (
    group_id   text   NOT NULL,
    user_id    text   NOT NULL,
    expired_at bigint NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX iam_group_members_user_idx ON iam_group_members (user_id);

CREATE TABLE iam_state (
    id         integer PRIMARY KEY CHECK (id = 1),
    generation bigint  NOT NULL
);
INSERT INTO iam_state (id, generation) VALUES (1, 0);

-- +goose Down
DROP TABLE iam_state;
DROP TABLE iam_group_members;
DROP TABLE iam_policies;
DROP TABLE iam_systems;
