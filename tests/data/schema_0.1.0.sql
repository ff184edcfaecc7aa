-- The schema of release 0.1.0 (commit 21cc121), as qa.store.open_db made it: every
-- CREATE statement from sqlite_master (the full-text index's shadow tables left out: its
-- CREATE VIRTUAL TABLE makes them) and the meta rows. tests/test_migrations.py builds a
-- database from it to check the upgrade. Regenerate only for a new released schema.

CREATE TABLE "meta" (
   "key" TEXT PRIMARY KEY,
   "value" TEXT
);
CREATE TABLE "calls" (
   "id" TEXT PRIMARY KEY,
   "content_hash" TEXT,
   "source_path" TEXT,
   "origin" TEXT,
   "agent" TEXT,
   "customer" TEXT,
   "call_time" TEXT,
   "duration" REAL,
   "channels" INTEGER,
   "speaker_timing" INTEGER,
   "model" TEXT,
   "rubric_name" TEXT,
   "rubric_version" TEXT,
   "scorable" INTEGER,
   "unscorable_reason" TEXT,
   "overall" REAL,
   "summary" TEXT,
   "extra" TEXT,
   "scored_at" TEXT,
   "redacted" TEXT,
   "redacted_audio" TEXT
, "roles" TEXT, "roles_review" INTEGER);
CREATE TABLE "role_decisions" (
   "call_id" TEXT PRIMARY KEY,
   "swapped" INTEGER,
   "decided_by" TEXT,
   "decided_at" TEXT
);
CREATE TABLE "utterances" (
   "id" INTEGER PRIMARY KEY,
   "call_id" TEXT REFERENCES "calls"("id"),
   "idx" INTEGER,
   "speaker" TEXT,
   "start" REAL,
   "end" REAL,
   "text" TEXT,
   "words" TEXT
);
CREATE TABLE "findings" (
   "id" INTEGER PRIMARY KEY,
   "call_id" TEXT REFERENCES "calls"("id"),
   "criterion" TEXT,
   "label" TEXT,
   "utterance_idx" INTEGER,
   "speaker" TEXT,
   "start" REAL,
   "end" REAL,
   "quote" TEXT,
   "polarity" TEXT,
   "message" TEXT,
   "suggestion" TEXT,
   "detail" TEXT
);
CREATE TABLE "scores" (
   "call_id" TEXT REFERENCES "calls"("id"),
   "criterion" TEXT,
   "score" REAL,
   "applicable" INTEGER,
   "reason" TEXT,
   "weight" REAL,
   PRIMARY KEY ("call_id", "criterion")
);
CREATE TABLE "runs" (
   "id" INTEGER PRIMARY KEY,
   "started_at" TEXT,
   "finished_at" TEXT,
   "status" TEXT,
   "paths" TEXT,
   "rubric_version" TEXT,
   "model" TEXT,
   "files" INTEGER,
   "scored" INTEGER,
   "skipped" INTEGER,
   "failed" INTEGER,
   "unscorable" INTEGER
, "pid" INTEGER, "host" TEXT);
CREATE TABLE "run_files" (
   "id" INTEGER PRIMARY KEY,
   "run_id" INTEGER REFERENCES "runs"("id"),
   "path" TEXT,
   "content_hash" TEXT,
   "call_id" TEXT,
   "status" TEXT,
   "error" TEXT,
   "seconds" REAL,
   "finished_at" TEXT
);
CREATE INDEX "idx_calls_agent_call_time"
    ON "calls" ("agent", "call_time");
CREATE INDEX "idx_calls_call_time"
    ON "calls" ("call_time");
CREATE INDEX "idx_calls_content_hash_rubric_version"
    ON "calls" ("content_hash", "rubric_version");
CREATE INDEX "idx_utterances_call_id_idx"
    ON "utterances" ("call_id", "idx");
CREATE INDEX "idx_findings_call_id"
    ON "findings" ("call_id");
CREATE INDEX "idx_findings_criterion_label"
    ON "findings" ("criterion", "label");
CREATE INDEX "idx_scores_criterion_score"
    ON "scores" ("criterion", "score");
CREATE INDEX "idx_run_files_run_id"
    ON "run_files" ("run_id");
CREATE TABLE "commitments" (
   "id" INTEGER PRIMARY KEY,
   "call_id" TEXT REFERENCES "calls"("id"),
   "utterance_idx" INTEGER,
   "start" REAL,
   "quote" TEXT,
   "kind" TEXT,
   "who" TEXT,
   "what" TEXT,
   "when_text" TEXT,
   "channel" TEXT,
   "status" TEXT,
   "status_note" TEXT,
   "updated_at" TEXT
);
CREATE INDEX "idx_commitments_call_id"
    ON "commitments" ("call_id");
CREATE INDEX "idx_commitments_status"
    ON "commitments" ("status");
CREATE VIRTUAL TABLE "utterances_fts" USING FTS5 (
    "text",
    tokenize='porter',
    content="utterances"
);
CREATE TRIGGER "utterances_ai" AFTER INSERT ON "utterances" BEGIN
  INSERT INTO "utterances_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE TRIGGER "utterances_ad" AFTER DELETE ON "utterances" BEGIN
  INSERT INTO "utterances_fts" ("utterances_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
END;
CREATE TRIGGER "utterances_au" AFTER UPDATE ON "utterances" BEGIN
  INSERT INTO "utterances_fts" ("utterances_fts", rowid, "text") VALUES('delete', old.rowid, old."text");
  INSERT INTO "utterances_fts" (rowid, "text") VALUES (new.rowid, new."text");
END;
CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL CHECK (role IN ('lead', 'coach', 'agent')),
            agent TEXT,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL,
            disabled INTEGER NOT NULL DEFAULT 0,
            CHECK (role != 'agent' OR agent IS NOT NULL)
        );
CREATE TABLE reviews (
            call_id TEXT PRIMARY KEY,
            reviewed_by TEXT, reviewed_at TEXT,
            shared_by TEXT, shared_at TEXT
        );
CREATE INDEX idx_reviews_shared_at ON reviews (shared_at);
CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            finding_id INTEGER,
            finding_ref TEXT,
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            for_agent INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL
        );
CREATE INDEX idx_notes_call_id ON notes (call_id);
CREATE TABLE overrides (
            call_id TEXT NOT NULL,
            criterion TEXT NOT NULL,
            score REAL NOT NULL CHECK (score BETWEEN 0 AND 100),
            machine_score REAL,
            reason TEXT NOT NULL CHECK (length(trim(reason)) > 0),
            author TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (call_id, criterion)
        );
CREATE TABLE acknowledgements (
            id INTEGER PRIMARY KEY,
            call_id TEXT NOT NULL,
            user TEXT NOT NULL,
            comment TEXT,
            created_at TEXT NOT NULL
        );
CREATE INDEX idx_acknowledgements_call_id ON acknowledgements (call_id);
CREATE TABLE launches (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL,
            manifest TEXT,
            total INTEGER NOT NULL,
            after_run_id INTEGER NOT NULL,
            pid INTEGER,
            log_path TEXT,
            started_by TEXT NOT NULL,
            started_at TEXT NOT NULL
        );
CREATE TABLE call_facts (
            call_id TEXT PRIMARY KEY, ts TEXT, week TEXT, agent TEXT, overall REAL,
            scorable INTEGER
        ) WITHOUT ROWID;
CREATE INDEX idx_call_facts_ts
            ON call_facts (ts, agent, overall, scorable, week);
CREATE INDEX idx_call_facts_agent
            ON call_facts (agent, ts, overall, scorable, week);
CREATE TABLE score_facts (
            call_id TEXT NOT NULL, criterion TEXT NOT NULL, ts TEXT, week TEXT, agent TEXT,
            score REAL, machine_score REAL,
            PRIMARY KEY (call_id, criterion)
        ) WITHOUT ROWID;
CREATE INDEX idx_score_facts_criterion
            ON score_facts (criterion, ts, score, agent);
CREATE INDEX idx_score_facts_agent
            ON score_facts (agent, criterion, ts, score);
CREATE TABLE agent_week (
            agent TEXT NOT NULL, criterion TEXT NOT NULL, week TEXT NOT NULL,
            n INTEGER NOT NULL, total REAL NOT NULL,
            PRIMARY KEY (week, agent, criterion)
        ) WITHOUT ROWID;
CREATE TABLE agent_month (
            agent TEXT NOT NULL, criterion TEXT NOT NULL, month TEXT NOT NULL,
            n INTEGER NOT NULL, total REAL NOT NULL,
            PRIMARY KEY (month, agent, criterion)
        ) WITHOUT ROWID;
CREATE TRIGGER [calls_facts_insert] AFTER INSERT ON calls BEGIN
            DELETE FROM call_facts WHERE call_id = NEW.id;
            INSERT INTO call_facts VALUES (NEW.id, coalesce(NEW.call_time, NEW.scored_at), date(coalesce(NEW.call_time, NEW.scored_at), 'weekday 0', '-6 days'), NEW.agent,
                                           NEW.overall, NEW.scorable);
            DELETE FROM score_facts WHERE call_id = NEW.id;
            INSERT INTO score_facts SELECT s.call_id, s.criterion, coalesce(NEW.call_time, NEW.scored_at), date(coalesce(NEW.call_time, NEW.scored_at), 'weekday 0', '-6 days'),
                NEW.agent, coalesce((SELECT o.score FROM overrides o WHERE o.call_id = s.call_id AND o.criterion = s.criterion),
                s.score), s.score FROM scores s WHERE s.call_id = NEW.id; END;
CREATE TRIGGER [calls_facts_update] AFTER UPDATE ON calls BEGIN
            UPDATE call_facts SET ts = coalesce(NEW.call_time, NEW.scored_at), week = date(coalesce(NEW.call_time, NEW.scored_at), 'weekday 0', '-6 days'), agent = NEW.agent,
                overall = NEW.overall, scorable = NEW.scorable WHERE call_id = NEW.id;
            UPDATE score_facts SET ts = coalesce(NEW.call_time, NEW.scored_at), week = date(coalesce(NEW.call_time, NEW.scored_at), 'weekday 0', '-6 days'), agent = NEW.agent
                WHERE call_id = NEW.id; END;
CREATE TRIGGER [calls_facts_delete] AFTER DELETE ON calls BEGIN
            DELETE FROM call_facts WHERE call_id = OLD.id;
            DELETE FROM score_facts WHERE call_id = OLD.id; END;
CREATE TRIGGER [scores_facts_insert] AFTER INSERT ON scores BEGIN
            DELETE FROM score_facts WHERE call_id = NEW.call_id AND criterion = NEW.criterion;
            INSERT INTO score_facts SELECT NEW.call_id, NEW.criterion, f.ts, f.week, f.agent,
                coalesce((SELECT o.score FROM overrides o WHERE o.call_id = NEW.call_id AND o.criterion = NEW.criterion), NEW.score),
                NEW.score FROM call_facts f WHERE f.call_id = NEW.call_id; END;
CREATE TRIGGER [scores_facts_update] AFTER UPDATE ON scores BEGIN
            UPDATE score_facts SET machine_score = NEW.score,
                score = coalesce((SELECT o.score FROM overrides o WHERE o.call_id = NEW.call_id AND o.criterion = NEW.criterion),
                                 NEW.score)
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END;
CREATE TRIGGER [scores_facts_delete] AFTER DELETE ON scores BEGIN
            DELETE FROM score_facts WHERE call_id = OLD.call_id AND criterion = OLD.criterion;
            END;
CREATE TRIGGER [overrides_facts_insert] AFTER INSERT ON overrides BEGIN
            UPDATE score_facts SET score = NEW.score
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END;
CREATE TRIGGER [overrides_facts_update] AFTER UPDATE ON overrides BEGIN
            UPDATE score_facts SET score = machine_score
                WHERE call_id = OLD.call_id AND criterion = OLD.criterion;
            UPDATE score_facts SET score = NEW.score
                WHERE call_id = NEW.call_id AND criterion = NEW.criterion; END;
CREATE TRIGGER [overrides_facts_delete] AFTER DELETE ON overrides BEGIN
            UPDATE score_facts SET score = machine_score
                WHERE call_id = OLD.call_id AND criterion = OLD.criterion; END;
CREATE TRIGGER [score_facts_week_insert] AFTER INSERT ON score_facts BEGIN INSERT INTO agent_week (agent, criterion, week, n, total) SELECT coalesce(NEW.agent, ''), NEW.criterion, NEW.week, 1, NEW.score WHERE NEW.score IS NOT NULL AND NEW.week IS NOT NULL ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total;INSERT INTO agent_month (agent, criterion, month, n, total) SELECT coalesce(NEW.agent, ''), NEW.criterion, substr(NEW.ts, 1, 7), 1, NEW.score WHERE NEW.score IS NOT NULL AND NEW.ts IS NOT NULL ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total; END;
CREATE TRIGGER [score_facts_week_delete] AFTER DELETE ON score_facts BEGIN UPDATE agent_week SET n = n - 1, total = total - OLD.score WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') AND criterion = OLD.criterion AND week = OLD.week;UPDATE agent_month SET n = n - 1, total = total - OLD.score WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') AND criterion = OLD.criterion AND month = substr(OLD.ts, 1, 7); END;
CREATE TRIGGER [score_facts_week_update] AFTER UPDATE ON score_facts BEGIN UPDATE agent_week SET n = n - 1, total = total - OLD.score WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') AND criterion = OLD.criterion AND week = OLD.week;UPDATE agent_month SET n = n - 1, total = total - OLD.score WHERE OLD.score IS NOT NULL AND agent = coalesce(OLD.agent, '') AND criterion = OLD.criterion AND month = substr(OLD.ts, 1, 7); INSERT INTO agent_week (agent, criterion, week, n, total) SELECT coalesce(NEW.agent, ''), NEW.criterion, NEW.week, 1, NEW.score WHERE NEW.score IS NOT NULL AND NEW.week IS NOT NULL ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total;INSERT INTO agent_month (agent, criterion, month, n, total) SELECT coalesce(NEW.agent, ''), NEW.criterion, substr(NEW.ts, 1, 7), 1, NEW.score WHERE NEW.score IS NOT NULL AND NEW.ts IS NOT NULL ON CONFLICT DO UPDATE SET n = n + 1, total = total + excluded.total; END;
CREATE TRIGGER [calls_insert_version] AFTER INSERT ON [calls] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [calls_update_version] AFTER UPDATE ON [calls] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [calls_delete_version] AFTER DELETE ON [calls] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [scores_insert_version] AFTER INSERT ON [scores] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [scores_update_version] AFTER UPDATE ON [scores] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [scores_delete_version] AFTER DELETE ON [scores] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [reviews_insert_version] AFTER INSERT ON [reviews] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [reviews_update_version] AFTER UPDATE ON [reviews] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [reviews_delete_version] AFTER DELETE ON [reviews] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [overrides_insert_version] AFTER INSERT ON [overrides] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [overrides_update_version] AFTER UPDATE ON [overrides] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [overrides_delete_version] AFTER DELETE ON [overrides] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [notes_insert_version] AFTER INSERT ON [notes] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [notes_update_version] AFTER UPDATE ON [notes] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [notes_delete_version] AFTER DELETE ON [notes] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [acknowledgements_insert_version] AFTER INSERT ON [acknowledgements] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [acknowledgements_update_version] AFTER UPDATE ON [acknowledgements] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [acknowledgements_delete_version] AFTER DELETE ON [acknowledgements] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [commitments_insert_version] AFTER INSERT ON [commitments] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [commitments_update_version] AFTER UPDATE ON [commitments] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
CREATE TRIGGER [commitments_delete_version] AFTER DELETE ON [commitments] BEGIN UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'; END;
INSERT INTO meta (key, value) VALUES ('data_version', '0');
INSERT INTO meta (key, value) VALUES ('fact_triggers', '2');
INSERT INTO meta (key, value) VALUES ('schema_version', '2');
