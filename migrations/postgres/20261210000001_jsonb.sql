-- The JSON that queries look inside is stored as jsonb: people's claims (the console's search
-- reads their email and name) and apps' settings (their partner's name). Values are written as
-- `json(?)`, which the store's dialect turns into `(?)::jsonb`, and read back as text
-- (`CAST(… AS TEXT)`). The search indexes on claims are rebuilt on the new type by the ALTER.
ALTER TABLE users ALTER COLUMN claims DROP DEFAULT;
ALTER TABLE users ALTER COLUMN claims TYPE jsonb USING claims::jsonb;
ALTER TABLE users ALTER COLUMN claims SET DEFAULT '{}'::jsonb;
ALTER TABLE clients ALTER COLUMN settings TYPE jsonb USING settings::jsonb;
