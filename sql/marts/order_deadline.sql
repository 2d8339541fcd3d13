-- The one home of the 48-hour rule for protection notices (Crime and Security Act 2010 s.27): the order
-- must be heard within `hours` hours of service, Sundays and bank holidays not counted. The days not
-- counted come from metrics/calendar.py, bound as $non_counting_days by the caller.
--
-- order_deadline(served_at, hours, non_counting_days) is the last moment at which no more than `hours`
-- counting hours have passed since service, so "heard in time" is hearing_at <= order_deadline(...).
-- When the hours run out at midnight before a non-counting day the clock stands still through that day,
-- and the deadline is the start of the next counting day. Used by sql/metrics/protective_orders.sql
-- (order_heard_within_48h_rate) and sql/daily/notices.sql (the meeting's due / missed list).
-- Created per connection as TEMP macros, like sql/marts/facts.sql.

-- The days the clock counts, in order, from the day of service on. The horizon is ample: the clock needs
-- at most floor(hours / 24) + 2 counting days, and any 7 consecutive days in England and Wales hold at
-- least 3 counting days (one Sunday and at most three bank holidays), so 3 * (floor(hours / 24) + 2) + 5
-- days suffice.
CREATE OR REPLACE TEMP MACRO order_clock_days(served_at, hours, non_counting_days) AS
    [clock_day
     FOR clock_day IN [CAST(served_at AS DATE) + CAST(day_offset AS INTEGER)
                       FOR day_offset IN range(0, 3 * CAST(floor(hours / 24) AS BIGINT) + 11)]
     IF NOT list_contains(CAST(non_counting_days AS DATE[]), clock_day)];

-- The moment `offset_us` microseconds of counting time after midnight at the start of the first
-- counting day: whole counting days by index, the rest within the day.
CREATE OR REPLACE TEMP MACRO order_clock_moment(clock_days, offset_us) AS
    CAST(clock_days[1 + offset_us // 86400000000] AS TIMESTAMP) + to_microseconds(offset_us % 86400000000);

-- Measured from midnight at the start of the first counting day, the clock needs `hours` plus the part
-- of that day gone before service (none when the notice was served on a non-counting day).
CREATE OR REPLACE TEMP MACRO order_deadline_on(served_at, hours, clock_days) AS
    order_clock_moment(clock_days,
        CAST(round(hours * 3600000000) AS BIGINT)
        + epoch_us(greatest(served_at, CAST(clock_days[1] AS TIMESTAMP)))
        - epoch_us(CAST(clock_days[1] AS TIMESTAMP)));

CREATE OR REPLACE TEMP MACRO order_deadline(served_at, hours, non_counting_days) AS
    order_deadline_on(served_at, hours, order_clock_days(served_at, hours, non_counting_days));
