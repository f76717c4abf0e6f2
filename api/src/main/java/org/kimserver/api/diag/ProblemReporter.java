package org.kimserver.api.diag;

import java.util.List;

/**
 * Whiteboard: a service of this type is asked for its problems each time {@code kim:info} (or a manager gathering
 * its workers' state) looks. An empty list means nothing is wrong in what it watches. Must not block.
 */
public interface ProblemReporter {
    List<Problem> problems();
}
