package org.kimserver.shell.internal;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.kimserver.api.diag.Problem;

/**
 * When each problem was first seen: a problem keeps its first time for as long as every look finds it again (by
 * subject and reason), and is forgotten as soon as one look does not.
 */
final class Sightings {
    private final Clock clock;
    private Map<String, Problem> seen = new HashMap<>();

    Sightings(Clock clock) {
        this.clock = clock;
    }

    /**
     * What one look found.
     *
     * @param problems every problem found, each with the time it was first seen
     * @param news     those not found by the look before, or found with another reason (to be logged)
     */
    record Look(List<Problem> problems, List<Problem> news) {
    }

    /** Takes the problems one look found, by subject; a subject whose reason changed keeps its first time. */
    synchronized Look look(Map<String, String> reasonBySubject) {
        Instant now = clock.instant();
        Map<String, Problem> next = new HashMap<>();
        List<Problem> problems = new ArrayList<>();
        List<Problem> news = new ArrayList<>();
        reasonBySubject.forEach((subject, reason) -> {
            Problem before = seen.get(subject);
            Problem problem = before != null && before.reason().equals(reason) ? before
                    : new Problem(subject, reason, before != null ? before.since() : now);
            if (problem != before) {
                news.add(problem);
            }
            next.put(subject, problem);
            problems.add(problem);
        });
        seen = next;
        return new Look(List.copyOf(problems), List.copyOf(news));
    }
}
