/**
 * The gateway database schema as an ordered list of migrations. Migration i (0-based) takes the schema
 * from version i to i + 1; `schema_version` holds the version a database is at. A released migration is
 * never edited: a change to the schema is a new entry at the end of the list.
 */

/** The migrations, oldest first. */
export const MIGRATIONS: readonly string[] = [
  // 1: registry, syncs, encounters, keys, exposures, audit log.
  `
  CREATE TABLE residents (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    household TEXT NOT NULL,            -- household and village, as staff write it
    phone TEXT,
    contact_name TEXT,                  -- who to call when the resident cannot take the call
    contact_phone TEXT,
    created_at INTEGER NOT NULL,        -- Unix seconds
    positive_at INTEGER                 -- when the resident's keys were published
  );

  CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    tag_id TEXT NOT NULL UNIQUE,
    board TEXT NOT NULL,
    key_sealed BLOB NOT NULL,           -- the 32-byte tag key, sealed under the master key (sealing.ts)
    resident INTEGER REFERENCES residents(id),
    provisioned_at INTEGER NOT NULL,
    alert TEXT NOT NULL DEFAULT 'none' CHECK (alert IN ('none', 'exposed')),          -- wanted on the tag
    alert_on_tag TEXT NOT NULL DEFAULT 'none' CHECK (alert_on_tag IN ('none', 'exposed')), -- last set at a sync
    acked_cursor INTEGER NOT NULL DEFAULT 0, -- encounter-log cursor acknowledged to the tag
    info_at INTEGER,                    -- when the tag last reported:
    firmware TEXT,
    battery_percent INTEGER,
    clock_drift_s REAL,
    storage_fill REAL                   -- 0..1
  );

  CREATE TABLE syncs (
    id INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL REFERENCES tags(id),
    started_at INTEGER NOT NULL,
    ended_at INTEGER,
    records INTEGER NOT NULL DEFAULT 0,  -- new encounter records stored
    bytes INTEGER NOT NULL DEFAULT 0,    -- log bytes received
    outcome TEXT                          -- null while running; 'ok' or why it ended early
  );
  CREATE INDEX syncs_tag ON syncs (tag);

  CREATE TABLE encounters (
    id INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL REFERENCES tags(id),
    first_seen INTEGER NOT NULL,   -- Unix s of the first sighting, at the record's resolution (a quarter hour)
    prefix INTEGER NOT NULL,       -- first 4 bytes of the heard ID, big-endian, unsigned
    aem INTEGER NOT NULL,          -- GAEN AEM byte 1 as heard (still encrypted; the record keeps 6 bits); 0 for Bluezone
    duration_min REAL NOT NULL,    -- first to last sighting
    sightings INTEGER NOT NULL,    -- sightings class, where the record keeps one (else 0)
    rssi_max INTEGER NOT NULL,     -- dBm
    rssi_mean INTEGER NOT NULL,    -- dBm
    sync INTEGER REFERENCES syncs(id),
    -- The whole record: one re-sent under a new cursor is the same row and is ignored.
    UNIQUE (tag, first_seen, prefix, aem, duration_min, sightings, rssi_max, rssi_mean)
  );
  CREATE INDEX encounters_prefix_time ON encounters (prefix, first_seen);

  -- A resident's own keys as read from the tag (with the resident's consent), sealed until published.
  CREATE TABLE tag_key_reads (
    id INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL REFERENCES tags(id),
    keys_sealed BLOB NOT NULL,     -- firmware ExposureKeys as JSON, sealed under the master key
    read_at INTEGER NOT NULL,
    published_at INTEGER
  );

  -- Keys published for positive residents (public from then on, so kept in clear).
  CREATE TABLE published_keys (
    id INTEGER PRIMARY KEY,
    resident INTEGER NOT NULL REFERENCES residents(id),
    tag INTEGER NOT NULL REFERENCES tags(id),
    profile TEXT NOT NULL CHECK (profile IN ('gaen', 'bluezone')),
    key BLOB NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    UNIQUE (profile, key, start_time)
  );

  CREATE TABLE key_imports (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,          -- file name
    format TEXT NOT NULL CHECK (format IN ('gaen-export', 'bluezone-f0')),
    signature TEXT NOT NULL CHECK (signature IN ('verified', 'not-checked', 'none')),
    region TEXT,
    imported_at INTEGER NOT NULL,
    keys_added INTEGER NOT NULL
  );

  -- GAEN: start_time = rolling start interval × 600, end_time = start + rolling period × 600.
  -- Bluezone: the F0 entry's time_start and time_end, ids_per_day its max.
  CREATE TABLE diagnosis_keys (
    id INTEGER PRIMARY KEY,
    import INTEGER NOT NULL REFERENCES key_imports(id),
    profile TEXT NOT NULL CHECK (profile IN ('gaen', 'bluezone')),
    key BLOB NOT NULL,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    ids_per_day INTEGER NOT NULL,
    report_type INTEGER,
    UNIQUE (profile, key, start_time)
  );
  CREATE INDEX diagnosis_keys_import ON diagnosis_keys (import);

  -- One row per tag, matched key and UTC day whose windows passed the rule.
  CREATE TABLE exposures (
    id INTEGER PRIMARY KEY,
    tag INTEGER NOT NULL REFERENCES tags(id),
    diagnosis_key INTEGER NOT NULL REFERENCES diagnosis_keys(id),
    day INTEGER NOT NULL,          -- UTC day number
    weighted_minutes REAL NOT NULL,
    minutes REAL NOT NULL,         -- unweighted minutes below the rule's cut-off attenuation
    min_attenuation INTEGER NOT NULL, -- dB, lowest typical attenuation (Bluezone: default calibration)
    first_time INTEGER NOT NULL,
    last_time INTEGER NOT NULL,
    detected_at INTEGER NOT NULL,
    notified_at INTEGER,           -- staff called the resident
    cleared_at INTEGER,            -- staff cleared the alert
    UNIQUE (tag, diagnosis_key, day)
  );

  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL           -- never secrets: no tag keys, no TEKs or daily keys
  );
  `,
];
