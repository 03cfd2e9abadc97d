-- Service regions (SPEC §8): each has an IANA time zone and working hours in
-- local time; appointment slots are slot_minutes windows from work_start to
-- work_end, back to back (no lunch gap). Orders name their region by code; a
-- region without a row here gets the defaults below (orders.DefaultRegion).
-- The time zone is checked when it is used (Go's time.LoadLocation), not here.
CREATE TABLE regions (
    code          text PRIMARY KEY CHECK (code <> ''),
    name          text NOT NULL DEFAULT '',
    time_zone     text NOT NULL DEFAULT 'Asia/Shanghai' CHECK (time_zone <> ''),
    work_start    time NOT NULL DEFAULT '08:00',
    work_end      time NOT NULL DEFAULT '20:00',
    slot_minutes  integer NOT NULL DEFAULT 120 CHECK (slot_minutes BETWEEN 15 AND 720),
    CONSTRAINT regions_working_hours CHECK (work_start < work_end)
);

-- The demo regions (internal/demo), with the SPEC §8 defaults.
INSERT INTO regions (code, name) VALUES ('north', 'North'), ('south', 'South');
