-- A rotated client secret may keep working for an overlap window (`clients rotate-secret ID
-- --overlap 24h`): the replaced secret's hash and the end of its window (sandbox clock).
ALTER TABLE clients ADD COLUMN previous_secret_hash BLOB;
ALTER TABLE clients ADD COLUMN previous_secret_until INTEGER;
