package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.Test;

public class SightingsTest {
    private Instant now = Instant.parse("2026-11-26T10:00:00Z");
    private final Sightings sightings = new Sightings(new Clock() {
        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    });

    @Test
    public void aProblemKeepsItsFirstTimeWhileItLastsAndIsNewAgainAfterAGap() {
        Instant first = now;
        assertEquals(1, sightings.look(Map.of("jar a", "truncated")).news().size());
        now = now.plusSeconds(10);
        var look = sightings.look(Map.of("jar a", "truncated", "jar b", "no manifest"));
        assertEquals(first, look.problems().stream().filter(p -> p.subject().equals("jar a")).findFirst()
                .orElseThrow().since());
        assertEquals(List.of("jar b"), look.news().stream().map(p -> p.subject()).toList());

        now = now.plusSeconds(10);
        assertEquals(List.of(), sightings.look(Map.of()).problems());
        now = now.plusSeconds(10);
        assertEquals(now, sightings.look(Map.of("jar a", "truncated")).problems().get(0).since());
    }
}
