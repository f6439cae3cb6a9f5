-- Creates the month partition holding `moment` if it is missing (idempotent, safe to race: an
-- advisory lock serialises creators). Rows of that month already in the default partition are
-- moved into the new partition, since PostgreSQL refuses to create a partition otherwise.
CREATE OR REPLACE FUNCTION csm_ensure_observation_partition(moment TIMESTAMPTZ)
RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    lo TIMESTAMPTZ := date_trunc('month', moment AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    hi TIMESTAMPTZ := (date_trunc('month', moment AT TIME ZONE 'UTC') + INTERVAL '1 month') AT TIME ZONE 'UTC';
    part TEXT := 'observations_y' || to_char(lo AT TIME ZONE 'UTC', 'YYYY') || 'm'
                 || to_char(lo AT TIME ZONE 'UTC', 'MM');
    schema_name TEXT := current_schema();
    moved BIGINT;
BEGIN
    IF to_regclass(format('%I.%I', schema_name, part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('csm-partition:' || schema_name || '.' || part));
    IF to_regclass(format('%I.%I', schema_name, part)) IS NOT NULL THEN
        RETURN part;
    END IF;
    CREATE TEMP TABLE csm_moving ON COMMIT DROP AS
        SELECT * FROM observations_default WHERE interval_start >= lo AND interval_start < hi;
    GET DIAGNOSTICS moved = ROW_COUNT;
    IF moved > 0 THEN
        DELETE FROM observations_default WHERE interval_start >= lo AND interval_start < hi;
    END IF;
    BEGIN
        EXECUTE format(
            'CREATE TABLE %I.%I PARTITION OF observations FOR VALUES FROM (%L) TO (%L)',
            schema_name, part, lo, hi
        );
    EXCEPTION WHEN duplicate_table THEN
        -- Another worker created it just before us (the catalog cache had not caught up yet).
        NULL;
    END;
    IF moved > 0 THEN
        INSERT INTO observations SELECT * FROM csm_moving;
    END IF;
    DROP TABLE csm_moving;
    RETURN part;
END;
$$;
