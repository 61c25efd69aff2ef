-- The ledger summed per local month, so a point-in-time value reads at most a few hundred
-- month rows plus the days of one month, however many years of history there are.
-- month = year * 12 + (month - 1) of the local date.
CREATE TABLE month_agg (
    indicator  VARCHAR NOT NULL,
    zone       VARCHAR NOT NULL,
    month      INTEGER NOT NULL,
    num        BIGINT  NOT NULL,
    den        BIGINT  NOT NULL,
    PRIMARY KEY (indicator, zone, month)
);

INSERT INTO month_agg
SELECT indicator, zone,
       (year(DATE '1970-01-01' + day) * 12 + month(DATE '1970-01-01' + day) - 1)::INTEGER,
       sum(num)::BIGINT, sum(den)::BIGINT
FROM day_agg
GROUP BY ALL;
