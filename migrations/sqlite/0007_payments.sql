-- Buying credits through Stripe Checkout: one row per checkout, and every webhook
-- event received (its id makes a replayed delivery a no-op).

CREATE TABLE payments (
    id                  TEXT PRIMARY KEY NOT NULL,
    user_id             TEXT NOT NULL REFERENCES users (id),
    pack_id             TEXT NOT NULL,
    quantity            BIGINT NOT NULL CHECK (quantity > 0),
    credits             BIGINT NOT NULL CHECK (credits > 0),
    amount_cents        BIGINT NOT NULL CHECK (amount_cents > 0),
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
    provider            TEXT NOT NULL DEFAULT 'stripe',
    checkout_session_id TEXT UNIQUE,
    checkout_url        TEXT NOT NULL DEFAULT '',
    payment_intent_id   TEXT,
    -- Refunds: the total refunded so far, and the credits taken back for it.
    refunded_cents      BIGINT NOT NULL DEFAULT 0,
    reclaimed_credits   BIGINT NOT NULL DEFAULT 0,
    -- Set when something needs an admin (e.g. refunded credits already spent).
    flag                TEXT NOT NULL DEFAULT '',
    failure_reason      TEXT NOT NULL DEFAULT '',
    -- Paying for one booking: the request (JSON) placed once the payment succeeds,
    -- the slot held until hold_until, and the booking it became.
    booking_request     TEXT NOT NULL DEFAULT '',
    hold_mentor_id      TEXT,
    hold_start          BIGINT,
    hold_end            BIGINT,
    hold_until          BIGINT,
    booking_id          TEXT,
    succeeded_at        BIGINT,
    failed_at           BIGINT,
    refunded_at         BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX payments_user ON payments (user_id, id);
CREATE INDEX payments_intent ON payments (payment_intent_id);
CREATE INDEX payments_flagged ON payments (id) WHERE flag <> '';
-- Slots held for a mentee while their checkout is open.
CREATE INDEX payments_holds ON payments (hold_mentor_id, hold_until) WHERE hold_mentor_id IS NOT NULL;

CREATE TABLE stripe_events (
    id             TEXT PRIMARY KEY NOT NULL,
    type           TEXT NOT NULL,
    payment_id     TEXT,
    -- A refund that arrived before its checkout completed: applied when it does.
    pending_intent TEXT,
    -- …with the total it refunded.
    pending_refund_cents BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX stripe_events_pending ON stripe_events (pending_intent);
