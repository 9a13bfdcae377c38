// The signer database schema, version 1. Every amount and count is an INTEGER read back as bigint
// (exact: msat fit in SQLite's 64-bit integers), every key, id and signature a BLOB; STRICT tables
// refuse a value of the wrong type instead of converting it.
//
// Commitments are stored as proto CommitmentInfo gives them: seen from the commitment's OWNER
// (holder_commitments: us; counterparty_commitments: them). `htlcs` is JSON, one object per HTLC:
//   {"dir":"offered"|"received","id":"<u64>","msat":"<u64>","hash":"<64 hex>","cltv":<u32>}
// with the direction from the owner's side and the amounts as decimal strings.
export const SCHEMA_VERSION = 1;

export const SCHEMA_SQL = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;

CREATE TABLE channels (
  id                               INTEGER PRIMARY KEY,
  temporary_channel_id             BLOB NOT NULL,
  channel_id                       BLOB UNIQUE,
  peer_node_id                     BLOB NOT NULL,
  key_index                        INTEGER NOT NULL UNIQUE,
  holder_is_opener                 INTEGER NOT NULL CHECK (holder_is_opener IN (0, 1)),
  holder_funding_pubkey            BLOB NOT NULL,
  holder_revocation_basepoint      BLOB NOT NULL,
  holder_payment_basepoint         BLOB NOT NULL,
  holder_delayed_payment_basepoint BLOB NOT NULL,
  holder_htlc_basepoint            BLOB NOT NULL,
  holder_first_point               BLOB NOT NULL,
  -- set by SetupChannel (all NULL before it)
  channel_type                     TEXT CHECK (channel_type IN ('static_remotekey', 'anchors')),
  funding_txid                     BLOB,
  funding_vout                     INTEGER,
  funding_sat                      INTEGER,
  push_msat                        INTEGER,
  counterparty_funding_pubkey      BLOB,
  counterparty_revocation_basepoint BLOB,
  counterparty_payment_basepoint   BLOB,
  counterparty_delayed_payment_basepoint BLOB,
  counterparty_htlc_basepoint      BLOB,
  counterparty_first_point         BLOB,
  holder_to_self_delay             INTEGER,
  counterparty_to_self_delay       INTEGER,
  holder_dust_limit_sat            INTEGER,
  counterparty_dust_limit_sat      INTEGER,
  holder_channel_reserve_sat       INTEGER,
  counterparty_channel_reserve_sat INTEGER,
  max_accepted_htlcs               INTEGER,
  htlc_minimum_msat                INTEGER,
  holder_shutdown_script           BLOB,
  counterparty_shutdown_script     BLOB,
  -- progress, rewritten as a whole by each request that changes it
  state                            TEXT NOT NULL CHECK (state IN ('opening', 'open', 'closing', 'closed')),
  next_holder_number               INTEGER NOT NULL,
  revoked_holder_through           INTEGER,
  next_counterparty_number         INTEGER NOT NULL,
  revoked_counterparty_through     INTEGER,
  counterparty_secrets             BLOB NOT NULL,
  funding_height                   INTEGER,
  closing_txid                     BLOB
) STRICT;
CREATE INDEX channels_by_temporary_id ON channels (temporary_channel_id);

CREATE TABLE holder_commitments (
  channel                INTEGER NOT NULL REFERENCES channels (id),
  number                 INTEGER NOT NULL,
  feerate_per_kw         INTEGER NOT NULL,
  to_owner_msat          INTEGER NOT NULL,
  to_other_msat          INTEGER NOT NULL,
  htlcs                  TEXT NOT NULL,
  counterparty_signature BLOB NOT NULL,
  htlc_signatures        BLOB NOT NULL, -- 64 bytes per HTLC output, in output order
  txid                   BLOB NOT NULL,
  content_hash           BLOB NOT NULL,
  PRIMARY KEY (channel, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE counterparty_commitments (
  channel              INTEGER NOT NULL REFERENCES channels (id),
  number               INTEGER NOT NULL,
  feerate_per_kw       INTEGER NOT NULL,
  to_owner_msat        INTEGER NOT NULL,
  to_other_msat        INTEGER NOT NULL,
  htlcs                TEXT NOT NULL,
  per_commitment_point BLOB NOT NULL,
  txid                 BLOB NOT NULL,
  content_hash         BLOB NOT NULL,
  PRIMARY KEY (channel, number)
) STRICT, WITHOUT ROWID;

CREATE TABLE invoices (
  payment_hash   BLOB PRIMARY KEY,
  amount_msat    INTEGER,
  timestamp      INTEGER NOT NULL,
  expiry_seconds INTEGER NOT NULL,
  signed_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE approved_payments (
  id              INTEGER PRIMARY KEY,
  payment_hash    BLOB NOT NULL,
  amount_msat     INTEGER NOT NULL,
  fee_budget_msat INTEGER NOT NULL,
  approved_at     INTEGER NOT NULL,
  approved_by     TEXT NOT NULL CHECK (approved_by IN ('policy', 'device')),
  destination     BLOB NOT NULL
) STRICT;
CREATE INDEX approved_payments_by_time ON approved_payments (approved_at);

CREATE TABLE wallet_keys (
  chain         INTEGER NOT NULL CHECK (chain IN (0, 1)),
  idx           INTEGER NOT NULL,
  public_key    BLOB NOT NULL,
  script_pubkey BLOB NOT NULL UNIQUE,
  PRIMARY KEY (chain, idx)
) STRICT;
`;

/** Every table, in the order a dump lists them. */
export const TABLES = ['meta', 'channels', 'holder_commitments', 'counterparty_commitments', 'invoices', 'approved_payments', 'wallet_keys'] as const;
