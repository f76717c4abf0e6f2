package org.kimserver.shell.internal;

import java.util.ArrayList;
import java.util.List;
import org.kimserver.api.diag.PoolDiagnostics;
import org.kimserver.api.diag.PoolStatistics;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** A database or Redis node that cannot be reached is a problem in {@code kim:info}, since it could not. */
@Component(service = ProblemReporter.class)
public final class PoolProblems implements ProblemReporter {
    private static final String UNREACHABLE = "cannot be reached";

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<PoolDiagnostics> diagnostics;

    @Override
    public List<Problem> problems() {
        List<Problem> problems = new ArrayList<>();
        for (PoolDiagnostics d : diagnostics) {
            for (PoolStatistics p : d.pools()) {
                if (p.unreachableSince() != null) {
                    String last = p.lastError();
                    String reason = last == null ? UNREACHABLE : last.startsWith(UNREACHABLE) ? last
                            : UNREACHABLE + ": " + last;
                    problems.add(new Problem(p.kind() + " node " + p.node() + " (" + p.address() + ")", reason,
                            p.unreachableSince()));
                }
            }
        }
        return problems;
    }
}
