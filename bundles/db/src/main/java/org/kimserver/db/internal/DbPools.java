package org.kimserver.db.internal;

import java.util.Comparator;
import java.util.List;
import org.kimserver.api.diag.PoolDiagnostics;
import org.kimserver.api.diag.PoolStatistics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** The database nodes' pools as {@link PoolStatistics}: what {@code kim:db} shows. */
@Component
public final class DbPools implements PoolDiagnostics {
    static final String KIND = "mysql";

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<MysqlNode> nodes;

    @Override
    public List<PoolStatistics> pools() {
        return nodes.stream().map(MysqlNode::statistics).sorted(Comparator.comparing(PoolStatistics::node)).toList();
    }
}
