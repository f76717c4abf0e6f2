package org.kimserver.api.diag;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * Whiteboard: a service of this type is asked for its problems each time {@code kim:info} (or a manager gathering
 * its workers' state) looks. An empty list means nothing is wrong in what it watches. Must not block.
 */
public interface ProblemReporter {
    List<Problem> problems();

    /**
     * Every reporter's problems, the oldest first; a reporter that throws is a problem itself.
     *
     * @since 1.3
     */
    static List<Problem> gather(Collection<ProblemReporter> reporters) {
        List<Problem> all = new ArrayList<>();
        for (ProblemReporter r : reporters) {
            try {
                all.addAll(r.problems());
            } catch (RuntimeException e) {
                all.add(new Problem("problem reporter " + r.getClass().getName(), "failed: " + e, Instant.now()));
            }
        }
        all.sort(Comparator.comparing(Problem::since).thenComparing(Problem::subject));
        return all;
    }
}
