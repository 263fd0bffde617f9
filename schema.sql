-- Rose Ash reference schema, generated from the Alembic migrations by
-- `make schema` (python -m shared.dev.schema). Do not edit by hand.

CREATE FUNCTION public.market_product_listed_check() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF NEW.status = 'listed' AND EXISTS (SELECT 1 FROM product_variants WHERE product_id = NEW.id)
       AND NOT EXISTS (
           SELECT 1 FROM product_variants
            WHERE product_id = NEW.id
              AND (made_to_order OR stock IS NULL OR stock > 0)
       ) THEN
        NEW.status := 'sold_out';
    END IF;
    RETURN NEW;
END;
$$;

CREATE FUNCTION public.market_refresh_product() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
DECLARE
    target integer;
    sold_out boolean;
    lowest integer;
BEGIN
    IF TG_OP = 'DELETE' THEN
        target := OLD.product_id;
    ELSE
        target := NEW.product_id;
    END IF;
    SELECT bool_and(NOT made_to_order AND stock IS NOT NULL AND stock = 0), min(price_minor)
      INTO sold_out, lowest
      FROM product_variants WHERE product_id = target;
    UPDATE products SET
        price_minor = coalesce(lowest, price_minor),
        status = CASE
            WHEN status = 'listed' AND coalesce(sold_out, false) THEN 'sold_out'
            WHEN status = 'sold_out' AND NOT coalesce(sold_out, false) THEN 'listed'
            ELSE status
        END
      WHERE id = target;
    RETURN NULL;
END;
$$;

CREATE TABLE public.account_tokens (
    id integer NOT NULL,
    user_id integer NOT NULL,
    purpose character varying(30) NOT NULL,
    token_hash character varying(128) NOT NULL,
    email character varying(320) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    new_email character varying(320),
    CONSTRAINT ck_account_tokens_purpose_known CHECK (((purpose)::text = ANY ((ARRAY['password_reset'::character varying, 'email_verification'::character varying, 'magic_link'::character varying, 'email_change'::character varying])::text[])))
);

CREATE SEQUENCE public.account_tokens_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.account_tokens_id_seq OWNED BY public.account_tokens.id;

CREATE TABLE public.alembic_version (
    version_num character varying(32) NOT NULL
);

CREATE TABLE public.ap_account_blocks (
    id integer NOT NULL,
    user_id integer NOT NULL,
    actor_id integer NOT NULL,
    kind character varying(10) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ap_account_blocks_kind CHECK (((kind)::text = ANY ((ARRAY['mute'::character varying, 'block'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_account_blocks_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_account_blocks_id_seq OWNED BY public.ap_account_blocks.id;

CREATE TABLE public.ap_activities (
    id integer NOT NULL,
    ap_id character varying(2048) NOT NULL,
    direction character varying(10) NOT NULL,
    type character varying(30) NOT NULL,
    actor_id integer NOT NULL,
    recipient_id integer,
    object_ap_id character varying(2048),
    payload jsonb NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    claimed_at timestamp with time zone,
    processed_at timestamp with time zone,
    CONSTRAINT ck_ap_activities_direction CHECK (((direction)::text = ANY ((ARRAY['outbound'::character varying, 'inbound'::character varying])::text[]))),
    CONSTRAINT ck_ap_activities_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'processing'::character varying, 'done'::character varying, 'failed'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_activities_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_activities_id_seq OWNED BY public.ap_activities.id;

CREATE TABLE public.ap_actors (
    id integer NOT NULL,
    ap_id character varying(2048) NOT NULL,
    kind character varying(10) NOT NULL,
    type character varying(30) DEFAULT 'Person'::character varying NOT NULL,
    user_id integer,
    app_name character varying(20),
    preferred_username character varying(100) NOT NULL,
    domain character varying(255) NOT NULL,
    display_name character varying(200) DEFAULT ''::character varying NOT NULL,
    summary text DEFAULT ''::text NOT NULL,
    icon_url character varying(2048),
    url character varying(2048),
    inbox_url character varying(2048),
    shared_inbox_url character varying(2048),
    outbox_url character varying(2048),
    followers_url character varying(2048),
    following_url character varying(2048),
    key_id character varying(2048),
    public_key_pem text,
    private_key_pem text,
    fetched_at timestamp with time zone,
    deleted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    manually_approves_followers boolean DEFAULT false NOT NULL,
    CONSTRAINT ck_ap_actors_kind CHECK (((kind)::text = ANY ((ARRAY['app'::character varying, 'member'::character varying, 'remote'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_actors_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_actors_id_seq OWNED BY public.ap_actors.id;

CREATE TABLE public.ap_deliveries (
    id integer NOT NULL,
    activity_id integer NOT NULL,
    inbox_url character varying(2048) NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_status_code integer,
    last_error text,
    next_attempt_at timestamp with time zone DEFAULT now() NOT NULL,
    delivered_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ap_deliveries_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'delivering'::character varying, 'delivered'::character varying, 'failed'::character varying, 'dead'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_deliveries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_deliveries_id_seq OWNED BY public.ap_deliveries.id;

CREATE TABLE public.ap_delivery_attempts (
    id integer NOT NULL,
    delivery_id integer NOT NULL,
    attempt integer NOT NULL,
    status_code integer,
    error text,
    duration_ms integer DEFAULT 0 NOT NULL,
    attempted_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.ap_delivery_attempts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_delivery_attempts_id_seq OWNED BY public.ap_delivery_attempts.id;

CREATE TABLE public.ap_domain_blocks (
    id integer NOT NULL,
    domain character varying(255) NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.ap_domain_blocks_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_domain_blocks_id_seq OWNED BY public.ap_domain_blocks.id;

CREATE TABLE public.ap_follows (
    id integer NOT NULL,
    follower_id integer NOT NULL,
    following_id integer NOT NULL,
    follow_activity_id character varying(2048),
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ap_follows_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'accepted'::character varying, 'rejected'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_follows_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_follows_id_seq OWNED BY public.ap_follows.id;

CREATE TABLE public.ap_inbox_states (
    id integer NOT NULL,
    inbox_url character varying(2048) NOT NULL,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    paused_until timestamp with time zone,
    last_status_code integer,
    last_error text,
    last_success_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    failing_since timestamp with time zone
);

CREATE SEQUENCE public.ap_inbox_states_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_inbox_states_id_seq OWNED BY public.ap_inbox_states.id;

CREATE TABLE public.ap_notifications (
    id integer NOT NULL,
    user_id integer NOT NULL,
    kind character varying(20) NOT NULL,
    actor_id integer NOT NULL,
    object_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    read_at timestamp with time zone
);

CREATE SEQUENCE public.ap_notifications_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_notifications_id_seq OWNED BY public.ap_notifications.id;

CREATE TABLE public.ap_object_tags (
    object_id integer NOT NULL,
    tag character varying(100) NOT NULL
);

CREATE TABLE public.ap_objects (
    id integer NOT NULL,
    ap_id character varying(2048) NOT NULL,
    type character varying(30) NOT NULL,
    actor_id integer NOT NULL,
    is_local boolean DEFAULT false NOT NULL,
    visibility character varying(20) DEFAULT 'public'::character varying NOT NULL,
    content_html text DEFAULT ''::text NOT NULL,
    summary text,
    url character varying(2048),
    in_reply_to character varying(2048),
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    published_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone,
    deleted_at timestamp with time zone,
    language character varying(16),
    attachments jsonb DEFAULT '[]'::jsonb NOT NULL,
    source text
);

CREATE SEQUENCE public.ap_objects_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_objects_id_seq OWNED BY public.ap_objects.id;

CREATE TABLE public.ap_reactions (
    id integer NOT NULL,
    kind character varying(10) NOT NULL,
    actor_id integer NOT NULL,
    object_id integer NOT NULL,
    activity_ap_id character varying(2048),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ap_reactions_kind CHECK (((kind)::text = ANY ((ARRAY['like'::character varying, 'announce'::character varying])::text[])))
);

CREATE SEQUENCE public.ap_reactions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_reactions_id_seq OWNED BY public.ap_reactions.id;

CREATE TABLE public.ap_reports (
    id integer NOT NULL,
    reporter_id integer NOT NULL,
    actor_id integer NOT NULL,
    object_ap_ids jsonb DEFAULT '[]'::jsonb NOT NULL,
    comment text DEFAULT ''::text NOT NULL,
    activity_ap_id character varying(2048),
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.ap_reports_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_reports_id_seq OWNED BY public.ap_reports.id;

CREATE TABLE public.ap_timeline_entries (
    id integer NOT NULL,
    user_id integer NOT NULL,
    object_id integer NOT NULL,
    boosted_by_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.ap_timeline_entries_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_timeline_entries_id_seq OWNED BY public.ap_timeline_entries.id;

CREATE TABLE public.ap_unavailable_hosts (
    id integer NOT NULL,
    host character varying(255) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.ap_unavailable_hosts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ap_unavailable_hosts_id_seq OWNED BY public.ap_unavailable_hosts.id;

CREATE TABLE public.authors (
    id integer NOT NULL,
    slug character varying(191) NOT NULL,
    name character varying(191) NOT NULL,
    bio text DEFAULT ''::text NOT NULL,
    profile_image character varying(2048),
    user_id integer,
    ghost_id character varying(24),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.authors_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.authors_id_seq OWNED BY public.authors.id;

CREATE TABLE public.blog_staff (
    user_id integer NOT NULL,
    role character varying(20) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_blog_staff_role CHECK (((role)::text = ANY ((ARRAY['administrator'::character varying, 'editor'::character varying, 'author'::character varying, 'contributor'::character varying])::text[])))
);

CREATE TABLE public.bookings (
    id integer NOT NULL,
    event_id integer NOT NULL,
    user_id integer,
    occurrence_start timestamp with time zone NOT NULL,
    seats integer DEFAULT 1 NOT NULL,
    status character varying(20) DEFAULT 'confirmed'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    guest_email character varying(320) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    token_hash character varying(64) NOT NULL,
    CONSTRAINT ck_bookings_member_or_guest CHECK (((user_id IS NOT NULL) OR ((guest_email)::text <> ''::text))),
    CONSTRAINT ck_bookings_seats_positive CHECK ((seats > 0)),
    CONSTRAINT ck_bookings_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'confirmed'::character varying, 'waiting'::character varying, 'cancelled'::character varying])::text[])))
);

CREATE SEQUENCE public.bookings_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.bookings_id_seq OWNED BY public.bookings.id;

CREATE TABLE public.calendars (
    id integer NOT NULL,
    slug character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    time_zone character varying(64) DEFAULT 'Europe/London'::character varying NOT NULL,
    container_type character varying(20),
    container_id integer,
    owner_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    is_private boolean DEFAULT false NOT NULL,
    CONSTRAINT ck_calendars_container_complete CHECK (((container_type IS NULL) = (container_id IS NULL))),
    CONSTRAINT ck_calendars_container_type CHECK (((container_type IS NULL) OR ((container_type)::text = ANY ((ARRAY['post'::character varying, 'stall'::character varying, 'market_page'::character varying])::text[]))))
);

CREATE SEQUENCE public.calendars_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.calendars_id_seq OWNED BY public.calendars.id;

CREATE TABLE public.cart_lines (
    id integer NOT NULL,
    cart_id integer NOT NULL,
    product_id integer,
    ticket_type_id integer,
    quantity integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    variant_id integer,
    CONSTRAINT ck_cart_lines_one_kind_of_item CHECK (((product_id IS NULL) <> (ticket_type_id IS NULL))),
    CONSTRAINT ck_cart_lines_quantity_positive CHECK ((quantity > 0)),
    CONSTRAINT ck_cart_lines_variant_of_product CHECK (((product_id IS NULL) = (variant_id IS NULL)))
);

CREATE SEQUENCE public.cart_lines_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.cart_lines_id_seq OWNED BY public.cart_lines.id;

CREATE TABLE public.carts (
    id integer NOT NULL,
    user_id integer,
    anon_token character varying(64),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_carts_has_owner CHECK (((user_id IS NOT NULL) OR (anon_token IS NOT NULL)))
);

CREATE SEQUENCE public.carts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.carts_id_seq OWNED BY public.carts.id;

CREATE TABLE public.categories (
    id integer NOT NULL,
    slug character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    parent_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.categories_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.categories_id_seq OWNED BY public.categories.id;

CREATE TABLE public.email_suppressions (
    id integer NOT NULL,
    email character varying(320) NOT NULL,
    reason text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.email_suppressions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.email_suppressions_id_seq OWNED BY public.email_suppressions.id;

CREATE TABLE public.event_feed_tokens (
    id integer NOT NULL,
    user_id integer NOT NULL,
    token_hash character varying(64) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.event_feed_tokens_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.event_feed_tokens_id_seq OWNED BY public.event_feed_tokens.id;

CREATE TABLE public.event_overrides (
    id integer NOT NULL,
    event_id integer NOT NULL,
    recurrence_id timestamp with time zone NOT NULL,
    kind character varying(20) NOT NULL,
    starts_at timestamp with time zone,
    ends_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_event_overrides_kind CHECK (((kind)::text = ANY ((ARRAY['cancelled'::character varying, 'moved'::character varying])::text[]))),
    CONSTRAINT ck_event_overrides_moved_has_times CHECK ((((kind)::text = 'cancelled'::text) OR ((starts_at IS NOT NULL) AND (ends_at > starts_at))))
);

CREATE SEQUENCE public.event_overrides_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.event_overrides_id_seq OWNED BY public.event_overrides.id;

CREATE TABLE public.events (
    id integer NOT NULL,
    calendar_id integer NOT NULL,
    slug character varying(150) NOT NULL,
    title character varying(255) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    starts_at timestamp with time zone NOT NULL,
    ends_at timestamp with time zone NOT NULL,
    time_zone character varying(64) DEFAULT 'Europe/London'::character varying NOT NULL,
    rrule text,
    location character varying(300) DEFAULT ''::character varying NOT NULL,
    capacity integer,
    status character varying(20) DEFAULT 'draft'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    all_day boolean DEFAULT false NOT NULL,
    map_url character varying(500) DEFAULT ''::character varying NOT NULL,
    online_url character varying(500) DEFAULT ''::character varying NOT NULL,
    image character varying(200),
    tags character varying(50)[] DEFAULT '{}'::character varying[] NOT NULL,
    split_from_id integer,
    CONSTRAINT ck_events_capacity_not_negative CHECK (((capacity IS NULL) OR (capacity >= 0))),
    CONSTRAINT ck_events_ends_after_start CHECK ((ends_at > starts_at)),
    CONSTRAINT ck_events_status CHECK (((status)::text = ANY ((ARRAY['draft'::character varying, 'published'::character varying, 'cancelled'::character varying])::text[])))
);

CREATE SEQUENCE public.events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.events_id_seq OWNED BY public.events.id;

CREATE TABLE public.ghost_sync_runs (
    id integer NOT NULL,
    kind character varying(20) NOT NULL,
    started_at timestamp with time zone DEFAULT now() NOT NULL,
    finished_at timestamp with time zone,
    created integer DEFAULT 0 NOT NULL,
    updated integer DEFAULT 0 NOT NULL,
    deleted integer DEFAULT 0 NOT NULL,
    error text,
    errors jsonb DEFAULT '[]'::jsonb NOT NULL
);

CREATE SEQUENCE public.ghost_sync_runs_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ghost_sync_runs_id_seq OWNED BY public.ghost_sync_runs.id;

CREATE TABLE public.ghost_sync_states (
    id integer NOT NULL,
    resource character varying(30) NOT NULL,
    last_synced_at timestamp with time zone,
    cursor text,
    last_error text,
    stats jsonb DEFAULT '{}'::jsonb NOT NULL
);

CREATE SEQUENCE public.ghost_sync_states_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ghost_sync_states_id_seq OWNED BY public.ghost_sync_states.id;

CREATE TABLE public.job_schedules (
    name character varying(100) NOT NULL,
    next_run_at timestamp with time zone NOT NULL,
    last_run_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.jobs (
    id bigint NOT NULL,
    kind character varying(100) NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    state character varying(10) DEFAULT 'queued'::character varying NOT NULL,
    key character varying(300),
    attempts integer DEFAULT 0 NOT NULL,
    max_attempts integer DEFAULT 5 NOT NULL,
    run_at timestamp with time zone DEFAULT now() NOT NULL,
    leased_until timestamp with time zone,
    worker character varying(200),
    last_error text,
    finished_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_jobs_attempts CHECK ((attempts >= 0)),
    CONSTRAINT ck_jobs_state CHECK (((state)::text = ANY ((ARRAY['queued'::character varying, 'running'::character varying, 'failed'::character varying, 'succeeded'::character varying, 'dead'::character varying])::text[])))
);

CREATE SEQUENCE public.jobs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.jobs_id_seq OWNED BY public.jobs.id;

CREATE TABLE public.market_page_products (
    page_id integer NOT NULL,
    product_id integer NOT NULL,
    "position" integer DEFAULT 0 NOT NULL
);

CREATE TABLE public.market_page_stalls (
    page_id integer NOT NULL,
    stall_id integer NOT NULL,
    "position" integer DEFAULT 0 NOT NULL
);

CREATE TABLE public.market_pages (
    id integer NOT NULL,
    slug character varying(100) NOT NULL,
    title character varying(255) NOT NULL,
    html text DEFAULT ''::text NOT NULL,
    is_published boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.market_pages_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.market_pages_id_seq OWNED BY public.market_pages.id;

CREATE TABLE public.member_passkeys (
    id integer NOT NULL,
    user_id integer NOT NULL,
    credential_id bytea NOT NULL,
    public_key bytea NOT NULL,
    sign_count integer DEFAULT 0 NOT NULL,
    name character varying(100) NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone
);

CREATE SEQUENCE public.member_passkeys_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.member_passkeys_id_seq OWNED BY public.member_passkeys.id;

CREATE TABLE public.member_recovery_codes (
    id integer NOT NULL,
    user_id integer NOT NULL,
    code_hash character varying(128) NOT NULL,
    used_at timestamp with time zone
);

CREATE SEQUENCE public.member_recovery_codes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.member_recovery_codes_id_seq OWNED BY public.member_recovery_codes.id;

CREATE TABLE public.member_totps (
    user_id integer NOT NULL,
    secret_sealed text NOT NULL,
    confirmed_at timestamp with time zone,
    last_step bigint DEFAULT '0'::bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE TABLE public.navigation_items (
    id integer NOT NULL,
    menu character varying(30) DEFAULT 'primary'::character varying NOT NULL,
    label character varying(100) NOT NULL,
    url character varying(2048) NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.navigation_items_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.navigation_items_id_seq OWNED BY public.navigation_items.id;

CREATE TABLE public.newsletter_deliveries (
    id bigint NOT NULL,
    send_id integer NOT NULL,
    subscription_id integer NOT NULL,
    email character varying(320) NOT NULL,
    status character varying(20) DEFAULT 'queued'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    last_error text,
    sent_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_newsletter_deliveries_status CHECK (((status)::text = ANY ((ARRAY['queued'::character varying, 'sent'::character varying, 'failed'::character varying])::text[])))
);

CREATE SEQUENCE public.newsletter_deliveries_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.newsletter_deliveries_id_seq OWNED BY public.newsletter_deliveries.id;

CREATE TABLE public.newsletter_sends (
    id integer NOT NULL,
    newsletter_id integer NOT NULL,
    post_id integer,
    subject character varying(300) NOT NULL,
    status character varying(20) DEFAULT 'queued'::character varying NOT NULL,
    recipient_count integer DEFAULT 0 NOT NULL,
    sent_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    body_html text DEFAULT ''::text NOT NULL,
    body_text text DEFAULT ''::text NOT NULL,
    CONSTRAINT ck_newsletter_sends_status CHECK (((status)::text = ANY ((ARRAY['queued'::character varying, 'sending'::character varying, 'sent'::character varying, 'failed'::character varying])::text[])))
);

CREATE SEQUENCE public.newsletter_sends_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.newsletter_sends_id_seq OWNED BY public.newsletter_sends.id;

CREATE TABLE public.newsletter_subscriptions (
    id integer NOT NULL,
    newsletter_id integer NOT NULL,
    user_id integer,
    email character varying(320) NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    confirm_token_hash character varying(128),
    unsubscribe_token character varying(64) NOT NULL,
    confirmed_at timestamp with time zone,
    unsubscribed_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_newsletter_subscriptions_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'confirmed'::character varying, 'unsubscribed'::character varying])::text[])))
);

CREATE SEQUENCE public.newsletter_subscriptions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.newsletter_subscriptions_id_seq OWNED BY public.newsletter_subscriptions.id;

CREATE TABLE public.newsletters (
    id integer NOT NULL,
    slug character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    sender_name character varying(200) DEFAULT ''::character varying NOT NULL,
    sender_email character varying(320),
    is_active boolean DEFAULT true NOT NULL,
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    reply_to character varying(320),
    subscribe_on_signup boolean DEFAULT false NOT NULL
);

CREATE SEQUENCE public.newsletters_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.newsletters_id_seq OWNED BY public.newsletters.id;

CREATE TABLE public.oauth_authorization_codes (
    id integer NOT NULL,
    code_hash character varying(128) NOT NULL,
    client_id integer NOT NULL,
    user_id integer NOT NULL,
    redirect_uri text NOT NULL,
    scope text NOT NULL,
    nonce text,
    code_challenge character varying(128) NOT NULL,
    code_challenge_method character varying(10) NOT NULL,
    session_id character varying(64),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    used_at timestamp with time zone,
    auth_time timestamp with time zone
);

CREATE SEQUENCE public.oauth_authorization_codes_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.oauth_authorization_codes_id_seq OWNED BY public.oauth_authorization_codes.id;

CREATE TABLE public.oauth_clients (
    id integer NOT NULL,
    client_id character varying(100) NOT NULL,
    client_secret_hash text,
    name character varying(200) NOT NULL,
    redirect_uris text[] NOT NULL,
    post_logout_redirect_uris text[] DEFAULT '{}'::text[] NOT NULL,
    backchannel_logout_uri text,
    scope text NOT NULL,
    is_first_party boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.oauth_clients_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.oauth_clients_id_seq OWNED BY public.oauth_clients.id;

CREATE TABLE public.oauth_consents (
    id integer NOT NULL,
    user_id integer NOT NULL,
    client_id integer NOT NULL,
    scope text NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.oauth_consents_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.oauth_consents_id_seq OWNED BY public.oauth_consents.id;

CREATE TABLE public.oauth_tokens (
    id integer NOT NULL,
    client_id integer NOT NULL,
    user_id integer NOT NULL,
    access_token_hash character varying(128) NOT NULL,
    refresh_token_hash character varying(128),
    family_id uuid NOT NULL,
    authorization_code_id integer,
    scope text NOT NULL,
    session_id character varying(64),
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    access_expires_at timestamp with time zone NOT NULL,
    refresh_expires_at timestamp with time zone,
    rotated_at timestamp with time zone,
    revoked_at timestamp with time zone
);

CREATE SEQUENCE public.oauth_tokens_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.oauth_tokens_id_seq OWNED BY public.oauth_tokens.id;

CREATE TABLE public.order_fulfilments (
    id integer NOT NULL,
    order_id integer NOT NULL,
    stall_id integer,
    method character varying(10) NOT NULL,
    address text DEFAULT ''::text NOT NULL,
    status character varying(12) DEFAULT 'to_prepare'::character varying NOT NULL,
    done_at timestamp with time zone,
    CONSTRAINT ck_order_fulfilments_delivery_has_address CHECK ((((method)::text = 'pickup'::text) OR (address <> ''::text))),
    CONSTRAINT ck_order_fulfilments_method CHECK (((method)::text = ANY ((ARRAY['pickup'::character varying, 'delivery'::character varying])::text[]))),
    CONSTRAINT ck_order_fulfilments_status CHECK (((status)::text = ANY ((ARRAY['to_prepare'::character varying, 'ready'::character varying, 'fulfilled'::character varying, 'collected'::character varying])::text[])))
);

CREATE SEQUENCE public.order_fulfilments_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.order_fulfilments_id_seq OWNED BY public.order_fulfilments.id;

CREATE TABLE public.order_lines (
    id integer NOT NULL,
    order_id integer NOT NULL,
    product_id integer,
    ticket_type_id integer,
    title character varying(255) NOT NULL,
    unit_price_minor integer NOT NULL,
    quantity integer NOT NULL,
    variant_id integer,
    variant_name character varying(100) DEFAULT ''::character varying NOT NULL,
    stall_id integer,
    withdrawable boolean DEFAULT false NOT NULL,
    refunded_minor integer DEFAULT 0 NOT NULL,
    CONSTRAINT ck_order_lines_price_not_negative CHECK ((unit_price_minor >= 0)),
    CONSTRAINT ck_order_lines_quantity_positive CHECK ((quantity > 0))
);

CREATE SEQUENCE public.order_lines_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.order_lines_id_seq OWNED BY public.order_lines.id;

CREATE TABLE public.orders (
    id integer NOT NULL,
    number character varying(20) NOT NULL,
    user_id integer,
    email character varying(320) NOT NULL,
    status character varying(20) DEFAULT 'pending_payment'::character varying NOT NULL,
    currency character varying(3) NOT NULL,
    total_minor integer NOT NULL,
    paid_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    contact_name character varying(200) DEFAULT ''::character varying NOT NULL,
    phone character varying(40) DEFAULT ''::character varying NOT NULL,
    notes text DEFAULT ''::text NOT NULL,
    refunded_minor integer DEFAULT 0 NOT NULL,
    cart_id integer,
    access_token character varying(64) NOT NULL,
    cancelled_at timestamp with time zone,
    withdrawn_at timestamp with time zone,
    CONSTRAINT ck_orders_currency_code CHECK (((currency)::text ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT ck_orders_refund_within_total CHECK ((refunded_minor <= total_minor)),
    CONSTRAINT ck_orders_refunded_not_negative CHECK ((refunded_minor >= 0)),
    CONSTRAINT ck_orders_status CHECK (((status)::text = ANY ((ARRAY['pending_payment'::character varying, 'paid'::character varying, 'fulfilled'::character varying, 'collected'::character varying, 'cancelled'::character varying, 'partially_refunded'::character varying, 'refunded'::character varying])::text[]))),
    CONSTRAINT ck_orders_total_not_negative CHECK ((total_minor >= 0))
);

CREATE SEQUENCE public.orders_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.orders_id_seq OWNED BY public.orders.id;

CREATE TABLE public.payment_events (
    id integer NOT NULL,
    payment_id integer NOT NULL,
    kind character varying(50) NOT NULL,
    payload jsonb NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    received_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.payment_events_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.payment_events_id_seq OWNED BY public.payment_events.id;

CREATE TABLE public.payments (
    id integer NOT NULL,
    order_id integer NOT NULL,
    provider character varying(20) DEFAULT 'sumup'::character varying NOT NULL,
    checkout_id character varying(100),
    reference character varying(100) NOT NULL,
    amount_minor integer NOT NULL,
    currency character varying(3) NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    hosted_checkout_url character varying(2048),
    transaction_id character varying(100),
    checked_at timestamp with time zone,
    CONSTRAINT ck_payments_amount_not_negative CHECK ((amount_minor >= 0)),
    CONSTRAINT ck_payments_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'paid'::character varying, 'failed'::character varying, 'expired'::character varying])::text[])))
);

CREATE SEQUENCE public.payments_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.payments_id_seq OWNED BY public.payments.id;

CREATE TABLE public.post_authors (
    post_id integer NOT NULL,
    author_id integer NOT NULL,
    "position" integer DEFAULT 0 NOT NULL
);

CREATE TABLE public.post_revisions (
    id integer NOT NULL,
    post_id integer NOT NULL,
    title character varying(255) NOT NULL,
    doc jsonb,
    html text DEFAULT ''::text NOT NULL,
    excerpt text DEFAULT ''::text NOT NULL,
    reason character varying(30) DEFAULT 'save'::character varying NOT NULL,
    created_by_id integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.post_revisions_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.post_revisions_id_seq OWNED BY public.post_revisions.id;

CREATE TABLE public.post_tags (
    post_id integer NOT NULL,
    tag_id integer NOT NULL,
    "position" integer DEFAULT 0 NOT NULL
);

CREATE TABLE public.posts (
    id integer NOT NULL,
    uuid uuid NOT NULL,
    type character varying(10) DEFAULT 'post'::character varying NOT NULL,
    slug character varying(191) NOT NULL,
    title character varying(255) NOT NULL,
    html text DEFAULT ''::text NOT NULL,
    excerpt text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT 'draft'::character varying NOT NULL,
    visibility character varying(20) DEFAULT 'public'::character varying NOT NULL,
    feature_image character varying(2048),
    author_id integer,
    published_at timestamp with time zone,
    ghost_id character varying(24),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    doc jsonb,
    plaintext text DEFAULT ''::text NOT NULL,
    featured boolean DEFAULT false NOT NULL,
    created_by_id integer,
    search_vector tsvector GENERATED ALWAYS AS (((setweight(to_tsvector('simple'::regconfig, (COALESCE(title, ''::character varying))::text), 'A'::"char") || setweight(to_tsvector('simple'::regconfig, COALESCE(excerpt, ''::text)), 'B'::"char")) || setweight(to_tsvector('simple'::regconfig, COALESCE(plaintext, ''::text)), 'C'::"char"))) STORED,
    ghost_updated_at timestamp with time zone,
    ghost_detached boolean DEFAULT false NOT NULL,
    newsletter_id integer,
    CONSTRAINT ck_posts_published_at_when_not_draft CHECK ((((status)::text = 'draft'::text) OR (published_at IS NOT NULL))),
    CONSTRAINT ck_posts_status CHECK (((status)::text = ANY ((ARRAY['draft'::character varying, 'scheduled'::character varying, 'published'::character varying])::text[]))),
    CONSTRAINT ck_posts_type CHECK (((type)::text = ANY ((ARRAY['post'::character varying, 'page'::character varying])::text[]))),
    CONSTRAINT ck_posts_visibility CHECK (((visibility)::text = ANY ((ARRAY['public'::character varying, 'members'::character varying, 'paid'::character varying])::text[])))
);

CREATE SEQUENCE public.posts_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.posts_id_seq OWNED BY public.posts.id;

CREATE TABLE public.product_images (
    id integer NOT NULL,
    product_id integer NOT NULL,
    url character varying(2048) NOT NULL,
    alt character varying(300) DEFAULT ''::character varying NOT NULL,
    "position" integer DEFAULT 0 NOT NULL
);

CREATE SEQUENCE public.product_images_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.product_images_id_seq OWNED BY public.product_images.id;

CREATE TABLE public.product_variants (
    id integer NOT NULL,
    product_id integer NOT NULL,
    name character varying(100) NOT NULL,
    sku character varying(64),
    price_minor integer NOT NULL,
    stock integer,
    made_to_order boolean DEFAULT false NOT NULL,
    measure_quantity integer,
    measure_unit character varying(5),
    "position" integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_product_variants_measure_complete CHECK (((measure_quantity IS NULL) = (measure_unit IS NULL))),
    CONSTRAINT ck_product_variants_measure_positive CHECK (((measure_quantity IS NULL) OR (measure_quantity > 0))),
    CONSTRAINT ck_product_variants_measure_unit CHECK (((measure_unit)::text = ANY ((ARRAY['g'::character varying, 'ml'::character varying, 'item'::character varying])::text[]))),
    CONSTRAINT ck_product_variants_price_not_negative CHECK ((price_minor >= 0)),
    CONSTRAINT ck_product_variants_stock_not_negative CHECK (((stock IS NULL) OR (stock >= 0)))
);

CREATE SEQUENCE public.product_variants_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.product_variants_id_seq OWNED BY public.product_variants.id;

CREATE TABLE public.products (
    id integer NOT NULL,
    stall_id integer NOT NULL,
    category_id integer,
    slug character varying(150) NOT NULL,
    title character varying(255) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    price_minor integer DEFAULT 0 NOT NULL,
    currency character varying(3) DEFAULT 'GBP'::character varying NOT NULL,
    status character varying(20) DEFAULT 'draft'::character varying NOT NULL,
    source_url character varying(2048),
    scraped_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    search tsvector GENERATED ALWAYS AS ((setweight(to_tsvector('english'::regconfig, (COALESCE(title, ''::character varying))::text), 'A'::"char") || setweight(to_tsvector('english'::regconfig, COALESCE(description, ''::text)), 'B'::"char"))) STORED,
    withdrawal_allowed boolean DEFAULT true NOT NULL,
    CONSTRAINT ck_products_currency_code CHECK (((currency)::text ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT ck_products_price_not_negative CHECK ((price_minor >= 0)),
    CONSTRAINT ck_products_status CHECK (((status)::text = ANY ((ARRAY['draft'::character varying, 'listed'::character varying, 'sold_out'::character varying, 'archived'::character varying])::text[])))
);

CREATE SEQUENCE public.products_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.products_id_seq OWNED BY public.products.id;

CREATE TABLE public.refunds (
    id integer NOT NULL,
    payment_id integer NOT NULL,
    order_line_id integer,
    key character varying(100) NOT NULL,
    amount_minor integer NOT NULL,
    status character varying(10) DEFAULT 'requested'::character varying NOT NULL,
    note text DEFAULT ''::text NOT NULL,
    requested_by integer,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_refunds_amount_positive CHECK ((amount_minor > 0)),
    CONSTRAINT ck_refunds_status CHECK (((status)::text = ANY ((ARRAY['requested'::character varying, 'succeeded'::character varying, 'failed'::character varying])::text[])))
);

CREATE SEQUENCE public.refunds_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.refunds_id_seq OWNED BY public.refunds.id;

CREATE TABLE public.stall_helpers (
    stall_id integer NOT NULL,
    user_id integer NOT NULL
);

CREATE TABLE public.stalls (
    id integer NOT NULL,
    slug character varying(100) NOT NULL,
    name character varying(200) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    owner_id integer NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    image_url character varying(2048),
    image_alt character varying(300) DEFAULT ''::character varying NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    story text DEFAULT ''::text NOT NULL,
    location character varying(200) DEFAULT ''::character varying NOT NULL,
    pickup_details text DEFAULT ''::text NOT NULL,
    reviewed_at timestamp with time zone,
    CONSTRAINT ck_stalls_status CHECK (((status)::text = ANY ((ARRAY['pending'::character varying, 'approved'::character varying, 'rejected'::character varying])::text[])))
);

CREATE SEQUENCE public.stalls_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.stalls_id_seq OWNED BY public.stalls.id;

CREATE TABLE public.stock_holds (
    id integer NOT NULL,
    order_id integer NOT NULL,
    variant_id integer,
    quantity integer NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ticket_type_id integer,
    CONSTRAINT ck_stock_holds_one_kind_of_item CHECK (((variant_id IS NULL) <> (ticket_type_id IS NULL))),
    CONSTRAINT ck_stock_holds_quantity_positive CHECK ((quantity > 0))
);

CREATE SEQUENCE public.stock_holds_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.stock_holds_id_seq OWNED BY public.stock_holds.id;

CREATE TABLE public.tags (
    id integer NOT NULL,
    slug character varying(191) NOT NULL,
    name character varying(191) NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    ghost_id character varying(24),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);

CREATE SEQUENCE public.tags_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.tags_id_seq OWNED BY public.tags.id;

CREATE TABLE public.ticket_types (
    id integer NOT NULL,
    event_id integer NOT NULL,
    name character varying(200) NOT NULL,
    price_minor integer NOT NULL,
    currency character varying(3) DEFAULT 'GBP'::character varying NOT NULL,
    quantity integer,
    sales_start_at timestamp with time zone,
    sales_end_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT ck_ticket_types_currency_code CHECK (((currency)::text ~ '^[A-Z]{3}$'::text)),
    CONSTRAINT ck_ticket_types_price_not_negative CHECK ((price_minor >= 0)),
    CONSTRAINT ck_ticket_types_quantity_not_negative CHECK (((quantity IS NULL) OR (quantity >= 0)))
);

CREATE SEQUENCE public.ticket_types_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.ticket_types_id_seq OWNED BY public.ticket_types.id;

CREATE TABLE public.tickets (
    id integer NOT NULL,
    code character varying(32) NOT NULL,
    ticket_type_id integer NOT NULL,
    order_line_id integer,
    holder_id integer,
    holder_name character varying(200) DEFAULT ''::character varying NOT NULL,
    occurrence_start timestamp with time zone NOT NULL,
    status character varying(20) DEFAULT 'valid'::character varying NOT NULL,
    checked_in_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    seat integer DEFAULT 1 NOT NULL,
    holder_email character varying(320) DEFAULT ''::character varying NOT NULL,
    CONSTRAINT ck_tickets_status CHECK (((status)::text = ANY ((ARRAY['valid'::character varying, 'void'::character varying, 'checked_in'::character varying])::text[])))
);

CREATE SEQUENCE public.tickets_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.tickets_id_seq OWNED BY public.tickets.id;

CREATE TABLE public.users (
    id integer NOT NULL,
    email character varying(320) NOT NULL,
    username character varying(30) NOT NULL,
    display_name character varying(100) NOT NULL,
    password_hash text,
    email_verified_at timestamp with time zone,
    is_admin boolean DEFAULT false NOT NULL,
    bio text DEFAULT ''::text NOT NULL,
    avatar_url character varying(2048),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    sessions_valid_after timestamp with time zone,
    CONSTRAINT ck_users_username_format CHECK (((username)::text ~ '^[A-Za-z0-9_]{1,30}$'::text))
);

CREATE SEQUENCE public.users_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;

ALTER TABLE ONLY public.account_tokens ALTER COLUMN id SET DEFAULT nextval('public.account_tokens_id_seq'::regclass);

ALTER TABLE ONLY public.ap_account_blocks ALTER COLUMN id SET DEFAULT nextval('public.ap_account_blocks_id_seq'::regclass);

ALTER TABLE ONLY public.ap_activities ALTER COLUMN id SET DEFAULT nextval('public.ap_activities_id_seq'::regclass);

ALTER TABLE ONLY public.ap_actors ALTER COLUMN id SET DEFAULT nextval('public.ap_actors_id_seq'::regclass);

ALTER TABLE ONLY public.ap_deliveries ALTER COLUMN id SET DEFAULT nextval('public.ap_deliveries_id_seq'::regclass);

ALTER TABLE ONLY public.ap_delivery_attempts ALTER COLUMN id SET DEFAULT nextval('public.ap_delivery_attempts_id_seq'::regclass);

ALTER TABLE ONLY public.ap_domain_blocks ALTER COLUMN id SET DEFAULT nextval('public.ap_domain_blocks_id_seq'::regclass);

ALTER TABLE ONLY public.ap_follows ALTER COLUMN id SET DEFAULT nextval('public.ap_follows_id_seq'::regclass);

ALTER TABLE ONLY public.ap_inbox_states ALTER COLUMN id SET DEFAULT nextval('public.ap_inbox_states_id_seq'::regclass);

ALTER TABLE ONLY public.ap_notifications ALTER COLUMN id SET DEFAULT nextval('public.ap_notifications_id_seq'::regclass);

ALTER TABLE ONLY public.ap_objects ALTER COLUMN id SET DEFAULT nextval('public.ap_objects_id_seq'::regclass);

ALTER TABLE ONLY public.ap_reactions ALTER COLUMN id SET DEFAULT nextval('public.ap_reactions_id_seq'::regclass);

ALTER TABLE ONLY public.ap_reports ALTER COLUMN id SET DEFAULT nextval('public.ap_reports_id_seq'::regclass);

ALTER TABLE ONLY public.ap_timeline_entries ALTER COLUMN id SET DEFAULT nextval('public.ap_timeline_entries_id_seq'::regclass);

ALTER TABLE ONLY public.ap_unavailable_hosts ALTER COLUMN id SET DEFAULT nextval('public.ap_unavailable_hosts_id_seq'::regclass);

ALTER TABLE ONLY public.authors ALTER COLUMN id SET DEFAULT nextval('public.authors_id_seq'::regclass);

ALTER TABLE ONLY public.bookings ALTER COLUMN id SET DEFAULT nextval('public.bookings_id_seq'::regclass);

ALTER TABLE ONLY public.calendars ALTER COLUMN id SET DEFAULT nextval('public.calendars_id_seq'::regclass);

ALTER TABLE ONLY public.cart_lines ALTER COLUMN id SET DEFAULT nextval('public.cart_lines_id_seq'::regclass);

ALTER TABLE ONLY public.carts ALTER COLUMN id SET DEFAULT nextval('public.carts_id_seq'::regclass);

ALTER TABLE ONLY public.categories ALTER COLUMN id SET DEFAULT nextval('public.categories_id_seq'::regclass);

ALTER TABLE ONLY public.email_suppressions ALTER COLUMN id SET DEFAULT nextval('public.email_suppressions_id_seq'::regclass);

ALTER TABLE ONLY public.event_feed_tokens ALTER COLUMN id SET DEFAULT nextval('public.event_feed_tokens_id_seq'::regclass);

ALTER TABLE ONLY public.event_overrides ALTER COLUMN id SET DEFAULT nextval('public.event_overrides_id_seq'::regclass);

ALTER TABLE ONLY public.events ALTER COLUMN id SET DEFAULT nextval('public.events_id_seq'::regclass);

ALTER TABLE ONLY public.ghost_sync_runs ALTER COLUMN id SET DEFAULT nextval('public.ghost_sync_runs_id_seq'::regclass);

ALTER TABLE ONLY public.ghost_sync_states ALTER COLUMN id SET DEFAULT nextval('public.ghost_sync_states_id_seq'::regclass);

ALTER TABLE ONLY public.jobs ALTER COLUMN id SET DEFAULT nextval('public.jobs_id_seq'::regclass);

ALTER TABLE ONLY public.market_pages ALTER COLUMN id SET DEFAULT nextval('public.market_pages_id_seq'::regclass);

ALTER TABLE ONLY public.member_passkeys ALTER COLUMN id SET DEFAULT nextval('public.member_passkeys_id_seq'::regclass);

ALTER TABLE ONLY public.member_recovery_codes ALTER COLUMN id SET DEFAULT nextval('public.member_recovery_codes_id_seq'::regclass);

ALTER TABLE ONLY public.navigation_items ALTER COLUMN id SET DEFAULT nextval('public.navigation_items_id_seq'::regclass);

ALTER TABLE ONLY public.newsletter_deliveries ALTER COLUMN id SET DEFAULT nextval('public.newsletter_deliveries_id_seq'::regclass);

ALTER TABLE ONLY public.newsletter_sends ALTER COLUMN id SET DEFAULT nextval('public.newsletter_sends_id_seq'::regclass);

ALTER TABLE ONLY public.newsletter_subscriptions ALTER COLUMN id SET DEFAULT nextval('public.newsletter_subscriptions_id_seq'::regclass);

ALTER TABLE ONLY public.newsletters ALTER COLUMN id SET DEFAULT nextval('public.newsletters_id_seq'::regclass);

ALTER TABLE ONLY public.oauth_authorization_codes ALTER COLUMN id SET DEFAULT nextval('public.oauth_authorization_codes_id_seq'::regclass);

ALTER TABLE ONLY public.oauth_clients ALTER COLUMN id SET DEFAULT nextval('public.oauth_clients_id_seq'::regclass);

ALTER TABLE ONLY public.oauth_consents ALTER COLUMN id SET DEFAULT nextval('public.oauth_consents_id_seq'::regclass);

ALTER TABLE ONLY public.oauth_tokens ALTER COLUMN id SET DEFAULT nextval('public.oauth_tokens_id_seq'::regclass);

ALTER TABLE ONLY public.order_fulfilments ALTER COLUMN id SET DEFAULT nextval('public.order_fulfilments_id_seq'::regclass);

ALTER TABLE ONLY public.order_lines ALTER COLUMN id SET DEFAULT nextval('public.order_lines_id_seq'::regclass);

ALTER TABLE ONLY public.orders ALTER COLUMN id SET DEFAULT nextval('public.orders_id_seq'::regclass);

ALTER TABLE ONLY public.payment_events ALTER COLUMN id SET DEFAULT nextval('public.payment_events_id_seq'::regclass);

ALTER TABLE ONLY public.payments ALTER COLUMN id SET DEFAULT nextval('public.payments_id_seq'::regclass);

ALTER TABLE ONLY public.post_revisions ALTER COLUMN id SET DEFAULT nextval('public.post_revisions_id_seq'::regclass);

ALTER TABLE ONLY public.posts ALTER COLUMN id SET DEFAULT nextval('public.posts_id_seq'::regclass);

ALTER TABLE ONLY public.product_images ALTER COLUMN id SET DEFAULT nextval('public.product_images_id_seq'::regclass);

ALTER TABLE ONLY public.product_variants ALTER COLUMN id SET DEFAULT nextval('public.product_variants_id_seq'::regclass);

ALTER TABLE ONLY public.products ALTER COLUMN id SET DEFAULT nextval('public.products_id_seq'::regclass);

ALTER TABLE ONLY public.refunds ALTER COLUMN id SET DEFAULT nextval('public.refunds_id_seq'::regclass);

ALTER TABLE ONLY public.stalls ALTER COLUMN id SET DEFAULT nextval('public.stalls_id_seq'::regclass);

ALTER TABLE ONLY public.stock_holds ALTER COLUMN id SET DEFAULT nextval('public.stock_holds_id_seq'::regclass);

ALTER TABLE ONLY public.tags ALTER COLUMN id SET DEFAULT nextval('public.tags_id_seq'::regclass);

ALTER TABLE ONLY public.ticket_types ALTER COLUMN id SET DEFAULT nextval('public.ticket_types_id_seq'::regclass);

ALTER TABLE ONLY public.tickets ALTER COLUMN id SET DEFAULT nextval('public.tickets_id_seq'::regclass);

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);

ALTER TABLE ONLY public.alembic_version
    ADD CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num);

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT pk_account_tokens PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_account_blocks
    ADD CONSTRAINT pk_ap_account_blocks PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_activities
    ADD CONSTRAINT pk_ap_activities PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT pk_ap_actors PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_deliveries
    ADD CONSTRAINT pk_ap_deliveries PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_delivery_attempts
    ADD CONSTRAINT pk_ap_delivery_attempts PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_domain_blocks
    ADD CONSTRAINT pk_ap_domain_blocks PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_follows
    ADD CONSTRAINT pk_ap_follows PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_inbox_states
    ADD CONSTRAINT pk_ap_inbox_states PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_notifications
    ADD CONSTRAINT pk_ap_notifications PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_object_tags
    ADD CONSTRAINT pk_ap_object_tags PRIMARY KEY (object_id, tag);

ALTER TABLE ONLY public.ap_objects
    ADD CONSTRAINT pk_ap_objects PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_reactions
    ADD CONSTRAINT pk_ap_reactions PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_reports
    ADD CONSTRAINT pk_ap_reports PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_timeline_entries
    ADD CONSTRAINT pk_ap_timeline_entries PRIMARY KEY (id);

ALTER TABLE ONLY public.ap_unavailable_hosts
    ADD CONSTRAINT pk_ap_unavailable_hosts PRIMARY KEY (id);

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT pk_authors PRIMARY KEY (id);

ALTER TABLE ONLY public.blog_staff
    ADD CONSTRAINT pk_blog_staff PRIMARY KEY (user_id);

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT pk_bookings PRIMARY KEY (id);

ALTER TABLE ONLY public.calendars
    ADD CONSTRAINT pk_calendars PRIMARY KEY (id);

ALTER TABLE ONLY public.cart_lines
    ADD CONSTRAINT pk_cart_lines PRIMARY KEY (id);

ALTER TABLE ONLY public.carts
    ADD CONSTRAINT pk_carts PRIMARY KEY (id);

ALTER TABLE ONLY public.categories
    ADD CONSTRAINT pk_categories PRIMARY KEY (id);

ALTER TABLE ONLY public.email_suppressions
    ADD CONSTRAINT pk_email_suppressions PRIMARY KEY (id);

ALTER TABLE ONLY public.event_feed_tokens
    ADD CONSTRAINT pk_event_feed_tokens PRIMARY KEY (id);

ALTER TABLE ONLY public.event_overrides
    ADD CONSTRAINT pk_event_overrides PRIMARY KEY (id);

ALTER TABLE ONLY public.events
    ADD CONSTRAINT pk_events PRIMARY KEY (id);

ALTER TABLE ONLY public.ghost_sync_runs
    ADD CONSTRAINT pk_ghost_sync_runs PRIMARY KEY (id);

ALTER TABLE ONLY public.ghost_sync_states
    ADD CONSTRAINT pk_ghost_sync_states PRIMARY KEY (id);

ALTER TABLE ONLY public.job_schedules
    ADD CONSTRAINT pk_job_schedules PRIMARY KEY (name);

ALTER TABLE ONLY public.jobs
    ADD CONSTRAINT pk_jobs PRIMARY KEY (id);

ALTER TABLE ONLY public.market_page_products
    ADD CONSTRAINT pk_market_page_products PRIMARY KEY (page_id, product_id);

ALTER TABLE ONLY public.market_page_stalls
    ADD CONSTRAINT pk_market_page_stalls PRIMARY KEY (page_id, stall_id);

ALTER TABLE ONLY public.market_pages
    ADD CONSTRAINT pk_market_pages PRIMARY KEY (id);

ALTER TABLE ONLY public.member_passkeys
    ADD CONSTRAINT pk_member_passkeys PRIMARY KEY (id);

ALTER TABLE ONLY public.member_recovery_codes
    ADD CONSTRAINT pk_member_recovery_codes PRIMARY KEY (id);

ALTER TABLE ONLY public.member_totps
    ADD CONSTRAINT pk_member_totps PRIMARY KEY (user_id);

ALTER TABLE ONLY public.navigation_items
    ADD CONSTRAINT pk_navigation_items PRIMARY KEY (id);

ALTER TABLE ONLY public.newsletter_deliveries
    ADD CONSTRAINT pk_newsletter_deliveries PRIMARY KEY (id);

ALTER TABLE ONLY public.newsletter_sends
    ADD CONSTRAINT pk_newsletter_sends PRIMARY KEY (id);

ALTER TABLE ONLY public.newsletter_subscriptions
    ADD CONSTRAINT pk_newsletter_subscriptions PRIMARY KEY (id);

ALTER TABLE ONLY public.newsletters
    ADD CONSTRAINT pk_newsletters PRIMARY KEY (id);

ALTER TABLE ONLY public.oauth_authorization_codes
    ADD CONSTRAINT pk_oauth_authorization_codes PRIMARY KEY (id);

ALTER TABLE ONLY public.oauth_clients
    ADD CONSTRAINT pk_oauth_clients PRIMARY KEY (id);

ALTER TABLE ONLY public.oauth_consents
    ADD CONSTRAINT pk_oauth_consents PRIMARY KEY (id);

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT pk_oauth_tokens PRIMARY KEY (id);

ALTER TABLE ONLY public.order_fulfilments
    ADD CONSTRAINT pk_order_fulfilments PRIMARY KEY (id);

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT pk_order_lines PRIMARY KEY (id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT pk_orders PRIMARY KEY (id);

ALTER TABLE ONLY public.payment_events
    ADD CONSTRAINT pk_payment_events PRIMARY KEY (id);

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT pk_payments PRIMARY KEY (id);

ALTER TABLE ONLY public.post_authors
    ADD CONSTRAINT pk_post_authors PRIMARY KEY (post_id, author_id);

ALTER TABLE ONLY public.post_revisions
    ADD CONSTRAINT pk_post_revisions PRIMARY KEY (id);

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT pk_post_tags PRIMARY KEY (post_id, tag_id);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT pk_posts PRIMARY KEY (id);

ALTER TABLE ONLY public.product_images
    ADD CONSTRAINT pk_product_images PRIMARY KEY (id);

ALTER TABLE ONLY public.product_variants
    ADD CONSTRAINT pk_product_variants PRIMARY KEY (id);

ALTER TABLE ONLY public.products
    ADD CONSTRAINT pk_products PRIMARY KEY (id);

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT pk_refunds PRIMARY KEY (id);

ALTER TABLE ONLY public.stall_helpers
    ADD CONSTRAINT pk_stall_helpers PRIMARY KEY (stall_id, user_id);

ALTER TABLE ONLY public.stalls
    ADD CONSTRAINT pk_stalls PRIMARY KEY (id);

ALTER TABLE ONLY public.stock_holds
    ADD CONSTRAINT pk_stock_holds PRIMARY KEY (id);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT pk_tags PRIMARY KEY (id);

ALTER TABLE ONLY public.ticket_types
    ADD CONSTRAINT pk_ticket_types PRIMARY KEY (id);

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT pk_tickets PRIMARY KEY (id);

ALTER TABLE ONLY public.users
    ADD CONSTRAINT pk_users PRIMARY KEY (id);

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT uq_account_tokens_token_hash UNIQUE (token_hash);

ALTER TABLE ONLY public.ap_account_blocks
    ADD CONSTRAINT uq_ap_account_blocks_user_id_actor_id_kind UNIQUE (user_id, actor_id, kind);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT uq_ap_actors_ap_id UNIQUE (ap_id);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT uq_ap_actors_app_name UNIQUE (app_name);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT uq_ap_actors_key_id UNIQUE (key_id);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT uq_ap_actors_preferred_username_domain UNIQUE (preferred_username, domain);

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT uq_ap_actors_user_id UNIQUE (user_id);

ALTER TABLE ONLY public.ap_deliveries
    ADD CONSTRAINT uq_ap_deliveries_activity_id_inbox_url UNIQUE (activity_id, inbox_url);

ALTER TABLE ONLY public.ap_domain_blocks
    ADD CONSTRAINT uq_ap_domain_blocks_domain UNIQUE (domain);

ALTER TABLE ONLY public.ap_follows
    ADD CONSTRAINT uq_ap_follows_follower_id_following_id UNIQUE (follower_id, following_id);

ALTER TABLE ONLY public.ap_inbox_states
    ADD CONSTRAINT uq_ap_inbox_states_inbox_url UNIQUE (inbox_url);

ALTER TABLE ONLY public.ap_objects
    ADD CONSTRAINT uq_ap_objects_ap_id UNIQUE (ap_id);

ALTER TABLE ONLY public.ap_reactions
    ADD CONSTRAINT uq_ap_reactions_kind_actor_id_object_id UNIQUE (kind, actor_id, object_id);

ALTER TABLE ONLY public.ap_timeline_entries
    ADD CONSTRAINT uq_ap_timeline_entries_user_id_object_id UNIQUE (user_id, object_id);

ALTER TABLE ONLY public.ap_unavailable_hosts
    ADD CONSTRAINT uq_ap_unavailable_hosts_host UNIQUE (host);

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT uq_authors_ghost_id UNIQUE (ghost_id);

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT uq_authors_slug UNIQUE (slug);

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT uq_authors_user_id UNIQUE (user_id);

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT uq_bookings_token_hash UNIQUE (token_hash);

ALTER TABLE ONLY public.calendars
    ADD CONSTRAINT uq_calendars_slug UNIQUE (slug);

ALTER TABLE ONLY public.carts
    ADD CONSTRAINT uq_carts_anon_token UNIQUE (anon_token);

ALTER TABLE ONLY public.carts
    ADD CONSTRAINT uq_carts_user_id UNIQUE (user_id);

ALTER TABLE ONLY public.categories
    ADD CONSTRAINT uq_categories_slug UNIQUE (slug);

ALTER TABLE ONLY public.event_feed_tokens
    ADD CONSTRAINT uq_event_feed_tokens_token_hash UNIQUE (token_hash);

ALTER TABLE ONLY public.event_feed_tokens
    ADD CONSTRAINT uq_event_feed_tokens_user_id UNIQUE (user_id);

ALTER TABLE ONLY public.event_overrides
    ADD CONSTRAINT uq_event_overrides_event_id_recurrence_id UNIQUE (event_id, recurrence_id);

ALTER TABLE ONLY public.events
    ADD CONSTRAINT uq_events_calendar_id_slug UNIQUE (calendar_id, slug);

ALTER TABLE ONLY public.ghost_sync_states
    ADD CONSTRAINT uq_ghost_sync_states_resource UNIQUE (resource);

ALTER TABLE ONLY public.market_pages
    ADD CONSTRAINT uq_market_pages_slug UNIQUE (slug);

ALTER TABLE ONLY public.member_passkeys
    ADD CONSTRAINT uq_member_passkeys_credential_id UNIQUE (credential_id);

ALTER TABLE ONLY public.member_recovery_codes
    ADD CONSTRAINT uq_member_recovery_codes_code_hash UNIQUE (code_hash);

ALTER TABLE ONLY public.newsletter_deliveries
    ADD CONSTRAINT uq_newsletter_deliveries_send_id_subscription_id UNIQUE (send_id, subscription_id);

ALTER TABLE ONLY public.newsletter_subscriptions
    ADD CONSTRAINT uq_newsletter_subscriptions_confirm_token_hash UNIQUE (confirm_token_hash);

ALTER TABLE ONLY public.newsletter_subscriptions
    ADD CONSTRAINT uq_newsletter_subscriptions_unsubscribe_token UNIQUE (unsubscribe_token);

ALTER TABLE ONLY public.newsletters
    ADD CONSTRAINT uq_newsletters_slug UNIQUE (slug);

ALTER TABLE ONLY public.oauth_authorization_codes
    ADD CONSTRAINT uq_oauth_authorization_codes_code_hash UNIQUE (code_hash);

ALTER TABLE ONLY public.oauth_clients
    ADD CONSTRAINT uq_oauth_clients_client_id UNIQUE (client_id);

ALTER TABLE ONLY public.oauth_consents
    ADD CONSTRAINT uq_oauth_consents_user_id_client_id UNIQUE (user_id, client_id);

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT uq_oauth_tokens_access_token_hash UNIQUE (access_token_hash);

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT uq_oauth_tokens_refresh_token_hash UNIQUE (refresh_token_hash);

ALTER TABLE ONLY public.order_fulfilments
    ADD CONSTRAINT uq_order_fulfilments_order_id_stall_id UNIQUE (order_id, stall_id);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT uq_orders_access_token UNIQUE (access_token);

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT uq_orders_number UNIQUE (number);

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT uq_payments_checkout_id UNIQUE (checkout_id);

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT uq_payments_reference UNIQUE (reference);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT uq_posts_ghost_id UNIQUE (ghost_id);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT uq_posts_type_slug UNIQUE (type, slug);

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT uq_posts_uuid UNIQUE (uuid);

ALTER TABLE ONLY public.products
    ADD CONSTRAINT uq_products_stall_id_slug UNIQUE (stall_id, slug);

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT uq_refunds_key UNIQUE (key);

ALTER TABLE ONLY public.stalls
    ADD CONSTRAINT uq_stalls_slug UNIQUE (slug);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT uq_tags_ghost_id UNIQUE (ghost_id);

ALTER TABLE ONLY public.tags
    ADD CONSTRAINT uq_tags_slug UNIQUE (slug);

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT uq_tickets_code UNIQUE (code);

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT uq_tickets_order_line_id_seat UNIQUE (order_line_id, seat);

CREATE INDEX ix_account_tokens_user_id ON public.account_tokens USING btree (user_id);

CREATE INDEX ix_ap_activities_actor_id ON public.ap_activities USING btree (actor_id);

CREATE INDEX ix_ap_activities_direction_status_id ON public.ap_activities USING btree (direction, status, id);

CREATE INDEX ix_ap_activities_object_ap_id ON public.ap_activities USING btree (object_ap_id);

CREATE INDEX ix_ap_deliveries_status_next_attempt_at ON public.ap_deliveries USING btree (status, next_attempt_at);

CREATE INDEX ix_ap_delivery_attempts_delivery_id ON public.ap_delivery_attempts USING btree (delivery_id);

CREATE INDEX ix_ap_follows_following_id ON public.ap_follows USING btree (following_id);

CREATE INDEX ix_ap_notifications_user_read ON public.ap_notifications USING btree (user_id, read_at);

CREATE INDEX ix_ap_object_tags_tag_object_id ON public.ap_object_tags USING btree (tag, object_id);

CREATE INDEX ix_ap_objects_actor_id ON public.ap_objects USING btree (actor_id);

CREATE INDEX ix_ap_objects_in_reply_to ON public.ap_objects USING btree (in_reply_to);

CREATE INDEX ix_ap_objects_local_published ON public.ap_objects USING btree (is_local, published_at);

CREATE INDEX ix_ap_reactions_object_id_kind ON public.ap_reactions USING btree (object_id, kind);

CREATE INDEX ix_ap_timeline_entries_user_created ON public.ap_timeline_entries USING btree (user_id, created_at);

CREATE INDEX ix_ap_timeline_entries_user_id_id ON public.ap_timeline_entries USING btree (user_id, id);

CREATE INDEX ix_bookings_event_id ON public.bookings USING btree (event_id);

CREATE INDEX ix_bookings_occurrence ON public.bookings USING btree (event_id, occurrence_start, status);

CREATE INDEX ix_bookings_user_id ON public.bookings USING btree (user_id);

CREATE INDEX ix_calendars_container ON public.calendars USING btree (container_type, container_id);

CREATE INDEX ix_calendars_owner_id ON public.calendars USING btree (owner_id);

CREATE INDEX ix_cart_lines_product_id ON public.cart_lines USING btree (product_id);

CREATE INDEX ix_cart_lines_ticket_type_id ON public.cart_lines USING btree (ticket_type_id);

CREATE INDEX ix_cart_lines_variant_id ON public.cart_lines USING btree (variant_id);

CREATE INDEX ix_categories_parent_id ON public.categories USING btree (parent_id);

CREATE INDEX ix_events_status_starts_at ON public.events USING btree (status, starts_at);

CREATE INDEX ix_ghost_sync_runs_started_at ON public.ghost_sync_runs USING btree (started_at);

CREATE INDEX ix_jobs_due ON public.jobs USING btree (run_at) WHERE ((state)::text = ANY ((ARRAY['queued'::character varying, 'failed'::character varying])::text[]));

CREATE INDEX ix_jobs_leased_until ON public.jobs USING btree (leased_until) WHERE ((state)::text = 'running'::text);

CREATE INDEX ix_jobs_state_finished_at ON public.jobs USING btree (state, finished_at);

CREATE INDEX ix_market_page_products_product_id ON public.market_page_products USING btree (product_id);

CREATE INDEX ix_market_page_stalls_stall_id ON public.market_page_stalls USING btree (stall_id);

CREATE INDEX ix_member_passkeys_user_id ON public.member_passkeys USING btree (user_id);

CREATE INDEX ix_member_recovery_codes_user_id ON public.member_recovery_codes USING btree (user_id);

CREATE INDEX ix_navigation_items_menu_position ON public.navigation_items USING btree (menu, "position");

CREATE INDEX ix_newsletter_deliveries_send_id_status ON public.newsletter_deliveries USING btree (send_id, status);

CREATE INDEX ix_newsletter_deliveries_subscription_id ON public.newsletter_deliveries USING btree (subscription_id);

CREATE INDEX ix_newsletter_sends_newsletter_id ON public.newsletter_sends USING btree (newsletter_id);

CREATE INDEX ix_newsletter_sends_post_id ON public.newsletter_sends USING btree (post_id);

CREATE INDEX ix_newsletter_subscriptions_user_id ON public.newsletter_subscriptions USING btree (user_id);

CREATE INDEX ix_oauth_authorization_codes_user_id ON public.oauth_authorization_codes USING btree (user_id);

CREATE INDEX ix_oauth_tokens_authorization_code_id ON public.oauth_tokens USING btree (authorization_code_id);

CREATE INDEX ix_oauth_tokens_family_id ON public.oauth_tokens USING btree (family_id);

CREATE INDEX ix_oauth_tokens_session_id ON public.oauth_tokens USING btree (session_id);

CREATE INDEX ix_oauth_tokens_user_id ON public.oauth_tokens USING btree (user_id);

CREATE INDEX ix_order_fulfilments_stall_id ON public.order_fulfilments USING btree (stall_id);

CREATE INDEX ix_order_lines_order_id ON public.order_lines USING btree (order_id);

CREATE INDEX ix_order_lines_product_id ON public.order_lines USING btree (product_id);

CREATE INDEX ix_order_lines_stall_id ON public.order_lines USING btree (stall_id);

CREATE INDEX ix_order_lines_ticket_type_id ON public.order_lines USING btree (ticket_type_id);

CREATE INDEX ix_order_lines_variant_id ON public.order_lines USING btree (variant_id);

CREATE INDEX ix_orders_user_id ON public.orders USING btree (user_id);

CREATE INDEX ix_payment_events_payment_id ON public.payment_events USING btree (payment_id);

CREATE INDEX ix_payments_order_id ON public.payments USING btree (order_id);

CREATE INDEX ix_post_authors_author_id ON public.post_authors USING btree (author_id);

CREATE INDEX ix_post_revisions_post_id_id ON public.post_revisions USING btree (post_id, id);

CREATE INDEX ix_post_tags_tag_id ON public.post_tags USING btree (tag_id);

CREATE INDEX ix_posts_author_id ON public.posts USING btree (author_id);

CREATE INDEX ix_posts_created_by_id ON public.posts USING btree (created_by_id);

CREATE INDEX ix_posts_search_vector ON public.posts USING gin (search_vector);

CREATE INDEX ix_posts_status_published_at ON public.posts USING btree (status, published_at);

CREATE INDEX ix_product_images_product_position ON public.product_images USING btree (product_id, "position");

CREATE INDEX ix_product_variants_product_position ON public.product_variants USING btree (product_id, "position");

CREATE INDEX ix_products_category_id ON public.products USING btree (category_id);

CREATE INDEX ix_products_created_at_id ON public.products USING btree (created_at, id);

CREATE INDEX ix_products_search ON public.products USING gin (search);

CREATE INDEX ix_products_stall_status ON public.products USING btree (stall_id, status);

CREATE INDEX ix_products_status_created_at ON public.products USING btree (status, created_at);

CREATE INDEX ix_refunds_payment_id ON public.refunds USING btree (payment_id);

CREATE INDEX ix_stall_helpers_user_id ON public.stall_helpers USING btree (user_id);

CREATE INDEX ix_stalls_owner_id ON public.stalls USING btree (owner_id);

CREATE INDEX ix_stalls_status_name ON public.stalls USING btree (status, name);

CREATE INDEX ix_stock_holds_expires_at ON public.stock_holds USING btree (expires_at);

CREATE INDEX ix_stock_holds_order_id ON public.stock_holds USING btree (order_id);

CREATE INDEX ix_stock_holds_ticket_type_expires_at ON public.stock_holds USING btree (ticket_type_id, expires_at);

CREATE INDEX ix_stock_holds_variant_expires_at ON public.stock_holds USING btree (variant_id, expires_at);

CREATE INDEX ix_ticket_types_event_id ON public.ticket_types USING btree (event_id);

CREATE INDEX ix_tickets_holder_id ON public.tickets USING btree (holder_id);

CREATE INDEX ix_tickets_order_line_id ON public.tickets USING btree (order_line_id);

CREATE INDEX ix_tickets_ticket_type_id ON public.tickets USING btree (ticket_type_id);

CREATE UNIQUE INDEX uq_ap_activities_ap_id_direction_recipient ON public.ap_activities USING btree (ap_id, direction, COALESCE(recipient_id, 0), actor_id);

CREATE UNIQUE INDEX uq_bookings_guest_occurrence ON public.bookings USING btree (event_id, occurrence_start, guest_email) WHERE (((status)::text <> 'cancelled'::text) AND (user_id IS NULL));

CREATE UNIQUE INDEX uq_bookings_member_occurrence ON public.bookings USING btree (event_id, occurrence_start, user_id) WHERE (((status)::text <> 'cancelled'::text) AND (user_id IS NOT NULL));

CREATE UNIQUE INDEX uq_cart_lines_cart_ticket_type ON public.cart_lines USING btree (cart_id, ticket_type_id) WHERE (ticket_type_id IS NOT NULL);

CREATE UNIQUE INDEX uq_cart_lines_cart_variant ON public.cart_lines USING btree (cart_id, variant_id) WHERE (variant_id IS NOT NULL);

CREATE UNIQUE INDEX uq_email_suppressions_email_lower ON public.email_suppressions USING btree (lower((email)::text));

CREATE UNIQUE INDEX uq_jobs_key_unfinished ON public.jobs USING btree (key) WHERE ((key IS NOT NULL) AND ((state)::text = ANY ((ARRAY['queued'::character varying, 'running'::character varying, 'failed'::character varying])::text[])));

CREATE UNIQUE INDEX uq_newsletter_sends_newsletter_id_post_id ON public.newsletter_sends USING btree (newsletter_id, post_id) WHERE (post_id IS NOT NULL);

CREATE UNIQUE INDEX uq_newsletter_subscriptions_newsletter_email_lower ON public.newsletter_subscriptions USING btree (newsletter_id, lower((email)::text));

CREATE UNIQUE INDEX uq_product_variants_product_sku ON public.product_variants USING btree (product_id, sku) WHERE (sku IS NOT NULL);

CREATE UNIQUE INDEX uq_users_email_lower ON public.users USING btree (lower((email)::text));

CREATE UNIQUE INDEX uq_users_username_lower ON public.users USING btree (lower((username)::text));

CREATE TRIGGER product_variants_refresh_product AFTER INSERT OR DELETE OR UPDATE ON public.product_variants FOR EACH ROW EXECUTE FUNCTION public.market_refresh_product();

CREATE TRIGGER products_listed_check BEFORE INSERT OR UPDATE OF status ON public.products FOR EACH ROW EXECUTE FUNCTION public.market_product_listed_check();

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT fk_account_tokens_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_account_blocks
    ADD CONSTRAINT fk_ap_account_blocks_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_account_blocks
    ADD CONSTRAINT fk_ap_account_blocks_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_activities
    ADD CONSTRAINT fk_ap_activities_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_activities
    ADD CONSTRAINT fk_ap_activities_recipient_id_ap_actors FOREIGN KEY (recipient_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_actors
    ADD CONSTRAINT fk_ap_actors_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_deliveries
    ADD CONSTRAINT fk_ap_deliveries_activity_id_ap_activities FOREIGN KEY (activity_id) REFERENCES public.ap_activities(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_delivery_attempts
    ADD CONSTRAINT fk_ap_delivery_attempts_delivery_id_ap_deliveries FOREIGN KEY (delivery_id) REFERENCES public.ap_deliveries(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_follows
    ADD CONSTRAINT fk_ap_follows_follower_id_ap_actors FOREIGN KEY (follower_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_follows
    ADD CONSTRAINT fk_ap_follows_following_id_ap_actors FOREIGN KEY (following_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_notifications
    ADD CONSTRAINT fk_ap_notifications_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_notifications
    ADD CONSTRAINT fk_ap_notifications_object_id_ap_objects FOREIGN KEY (object_id) REFERENCES public.ap_objects(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_notifications
    ADD CONSTRAINT fk_ap_notifications_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_object_tags
    ADD CONSTRAINT fk_ap_object_tags_object_id_ap_objects FOREIGN KEY (object_id) REFERENCES public.ap_objects(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_objects
    ADD CONSTRAINT fk_ap_objects_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_reactions
    ADD CONSTRAINT fk_ap_reactions_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_reactions
    ADD CONSTRAINT fk_ap_reactions_object_id_ap_objects FOREIGN KEY (object_id) REFERENCES public.ap_objects(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_reports
    ADD CONSTRAINT fk_ap_reports_actor_id_ap_actors FOREIGN KEY (actor_id) REFERENCES public.ap_actors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_reports
    ADD CONSTRAINT fk_ap_reports_reporter_id_users FOREIGN KEY (reporter_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_timeline_entries
    ADD CONSTRAINT fk_ap_timeline_entries_boosted_by_id_ap_actors FOREIGN KEY (boosted_by_id) REFERENCES public.ap_actors(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.ap_timeline_entries
    ADD CONSTRAINT fk_ap_timeline_entries_object_id_ap_objects FOREIGN KEY (object_id) REFERENCES public.ap_objects(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ap_timeline_entries
    ADD CONSTRAINT fk_ap_timeline_entries_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.authors
    ADD CONSTRAINT fk_authors_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.blog_staff
    ADD CONSTRAINT fk_blog_staff_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT fk_bookings_event_id_events FOREIGN KEY (event_id) REFERENCES public.events(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.bookings
    ADD CONSTRAINT fk_bookings_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.calendars
    ADD CONSTRAINT fk_calendars_owner_id_users FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.cart_lines
    ADD CONSTRAINT fk_cart_lines_cart_id_carts FOREIGN KEY (cart_id) REFERENCES public.carts(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.cart_lines
    ADD CONSTRAINT fk_cart_lines_product_id_products FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.cart_lines
    ADD CONSTRAINT fk_cart_lines_ticket_type_id_ticket_types FOREIGN KEY (ticket_type_id) REFERENCES public.ticket_types(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.cart_lines
    ADD CONSTRAINT fk_cart_lines_variant_id_product_variants FOREIGN KEY (variant_id) REFERENCES public.product_variants(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.carts
    ADD CONSTRAINT fk_carts_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.categories
    ADD CONSTRAINT fk_categories_parent_id_categories FOREIGN KEY (parent_id) REFERENCES public.categories(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.event_feed_tokens
    ADD CONSTRAINT fk_event_feed_tokens_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.event_overrides
    ADD CONSTRAINT fk_event_overrides_event_id_events FOREIGN KEY (event_id) REFERENCES public.events(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.events
    ADD CONSTRAINT fk_events_calendar_id_calendars FOREIGN KEY (calendar_id) REFERENCES public.calendars(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.events
    ADD CONSTRAINT fk_events_split_from_id_events FOREIGN KEY (split_from_id) REFERENCES public.events(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.market_page_products
    ADD CONSTRAINT fk_market_page_products_page_id_market_pages FOREIGN KEY (page_id) REFERENCES public.market_pages(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.market_page_products
    ADD CONSTRAINT fk_market_page_products_product_id_products FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.market_page_stalls
    ADD CONSTRAINT fk_market_page_stalls_page_id_market_pages FOREIGN KEY (page_id) REFERENCES public.market_pages(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.market_page_stalls
    ADD CONSTRAINT fk_market_page_stalls_stall_id_stalls FOREIGN KEY (stall_id) REFERENCES public.stalls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.member_passkeys
    ADD CONSTRAINT fk_member_passkeys_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.member_recovery_codes
    ADD CONSTRAINT fk_member_recovery_codes_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.member_totps
    ADD CONSTRAINT fk_member_totps_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.newsletter_deliveries
    ADD CONSTRAINT fk_newsletter_deliveries_send_id_newsletter_sends FOREIGN KEY (send_id) REFERENCES public.newsletter_sends(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.newsletter_deliveries
    ADD CONSTRAINT fk_newsletter_deliveries_subscription_id_newsletter_sub_d6a8 FOREIGN KEY (subscription_id) REFERENCES public.newsletter_subscriptions(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.newsletter_sends
    ADD CONSTRAINT fk_newsletter_sends_newsletter_id_newsletters FOREIGN KEY (newsletter_id) REFERENCES public.newsletters(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.newsletter_sends
    ADD CONSTRAINT fk_newsletter_sends_post_id_posts FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.newsletter_subscriptions
    ADD CONSTRAINT fk_newsletter_subscriptions_newsletter_id_newsletters FOREIGN KEY (newsletter_id) REFERENCES public.newsletters(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.newsletter_subscriptions
    ADD CONSTRAINT fk_newsletter_subscriptions_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.oauth_authorization_codes
    ADD CONSTRAINT fk_oauth_authorization_codes_client_id_oauth_clients FOREIGN KEY (client_id) REFERENCES public.oauth_clients(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.oauth_authorization_codes
    ADD CONSTRAINT fk_oauth_authorization_codes_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.oauth_consents
    ADD CONSTRAINT fk_oauth_consents_client_id_oauth_clients FOREIGN KEY (client_id) REFERENCES public.oauth_clients(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.oauth_consents
    ADD CONSTRAINT fk_oauth_consents_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT fk_oauth_tokens_authorization_code_id_oauth_authorization_codes FOREIGN KEY (authorization_code_id) REFERENCES public.oauth_authorization_codes(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT fk_oauth_tokens_client_id_oauth_clients FOREIGN KEY (client_id) REFERENCES public.oauth_clients(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.oauth_tokens
    ADD CONSTRAINT fk_oauth_tokens_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_fulfilments
    ADD CONSTRAINT fk_order_fulfilments_order_id_orders FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_fulfilments
    ADD CONSTRAINT fk_order_fulfilments_stall_id_stalls FOREIGN KEY (stall_id) REFERENCES public.stalls(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT fk_order_lines_order_id_orders FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT fk_order_lines_product_id_products FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT fk_order_lines_stall_id_stalls FOREIGN KEY (stall_id) REFERENCES public.stalls(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT fk_order_lines_ticket_type_id_ticket_types FOREIGN KEY (ticket_type_id) REFERENCES public.ticket_types(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.order_lines
    ADD CONSTRAINT fk_order_lines_variant_id_product_variants FOREIGN KEY (variant_id) REFERENCES public.product_variants(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT fk_orders_cart_id_carts FOREIGN KEY (cart_id) REFERENCES public.carts(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.orders
    ADD CONSTRAINT fk_orders_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.payment_events
    ADD CONSTRAINT fk_payment_events_payment_id_payments FOREIGN KEY (payment_id) REFERENCES public.payments(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.payments
    ADD CONSTRAINT fk_payments_order_id_orders FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.post_authors
    ADD CONSTRAINT fk_post_authors_author_id_authors FOREIGN KEY (author_id) REFERENCES public.authors(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.post_authors
    ADD CONSTRAINT fk_post_authors_post_id_posts FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.post_revisions
    ADD CONSTRAINT fk_post_revisions_created_by_id_users FOREIGN KEY (created_by_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.post_revisions
    ADD CONSTRAINT fk_post_revisions_post_id_posts FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT fk_post_tags_post_id_posts FOREIGN KEY (post_id) REFERENCES public.posts(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.post_tags
    ADD CONSTRAINT fk_post_tags_tag_id_tags FOREIGN KEY (tag_id) REFERENCES public.tags(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT fk_posts_author_id_authors FOREIGN KEY (author_id) REFERENCES public.authors(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT fk_posts_created_by_id_users FOREIGN KEY (created_by_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.posts
    ADD CONSTRAINT fk_posts_newsletter_id_newsletters FOREIGN KEY (newsletter_id) REFERENCES public.newsletters(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.product_images
    ADD CONSTRAINT fk_product_images_product_id_products FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.product_variants
    ADD CONSTRAINT fk_product_variants_product_id_products FOREIGN KEY (product_id) REFERENCES public.products(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.products
    ADD CONSTRAINT fk_products_category_id_categories FOREIGN KEY (category_id) REFERENCES public.categories(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.products
    ADD CONSTRAINT fk_products_stall_id_stalls FOREIGN KEY (stall_id) REFERENCES public.stalls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT fk_refunds_order_line_id_order_lines FOREIGN KEY (order_line_id) REFERENCES public.order_lines(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT fk_refunds_payment_id_payments FOREIGN KEY (payment_id) REFERENCES public.payments(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.refunds
    ADD CONSTRAINT fk_refunds_requested_by_users FOREIGN KEY (requested_by) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.stall_helpers
    ADD CONSTRAINT fk_stall_helpers_stall_id_stalls FOREIGN KEY (stall_id) REFERENCES public.stalls(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.stall_helpers
    ADD CONSTRAINT fk_stall_helpers_user_id_users FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.stalls
    ADD CONSTRAINT fk_stalls_owner_id_users FOREIGN KEY (owner_id) REFERENCES public.users(id) ON DELETE RESTRICT;

ALTER TABLE ONLY public.stock_holds
    ADD CONSTRAINT fk_stock_holds_order_id_orders FOREIGN KEY (order_id) REFERENCES public.orders(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.stock_holds
    ADD CONSTRAINT fk_stock_holds_ticket_type_id_ticket_types FOREIGN KEY (ticket_type_id) REFERENCES public.ticket_types(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.stock_holds
    ADD CONSTRAINT fk_stock_holds_variant_id_product_variants FOREIGN KEY (variant_id) REFERENCES public.product_variants(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.ticket_types
    ADD CONSTRAINT fk_ticket_types_event_id_events FOREIGN KEY (event_id) REFERENCES public.events(id) ON DELETE CASCADE;

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT fk_tickets_holder_id_users FOREIGN KEY (holder_id) REFERENCES public.users(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT fk_tickets_order_line_id_order_lines FOREIGN KEY (order_line_id) REFERENCES public.order_lines(id) ON DELETE SET NULL;

ALTER TABLE ONLY public.tickets
    ADD CONSTRAINT fk_tickets_ticket_type_id_ticket_types FOREIGN KEY (ticket_type_id) REFERENCES public.ticket_types(id) ON DELETE RESTRICT;
