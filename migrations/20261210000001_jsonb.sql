-- PostgreSQL's migration of this version stores claims and app settings as jsonb. SQLite keeps
-- them as text, checked on the way in by `json(?)`: nothing changes here. The version exists in
-- both so that one number names one schema.
SELECT 1;
