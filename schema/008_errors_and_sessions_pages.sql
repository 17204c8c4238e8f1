-- GET /api/errors?session= and GET /api/sessions?node_id= page by id, newest first: each walks
-- an index of its filter and id.
CREATE INDEX decode_errors_session_latest ON decode_errors (session_id, id DESC);
CREATE INDEX sessions_node_latest ON sessions (node_id, id DESC);
