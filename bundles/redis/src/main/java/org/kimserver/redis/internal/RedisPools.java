package org.kimserver.redis.internal;

import java.util.Comparator;
import java.util.List;
import org.kimserver.api.diag.PoolDiagnostics;
import org.kimserver.api.diag.PoolStatistics;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/** The Redis nodes as {@link PoolStatistics}: what {@code kim:redis} shows. */
@Component
public final class RedisPools implements PoolDiagnostics {
    static final String KIND = "redis";

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<RedisNode> nodes;

    @Override
    public List<PoolStatistics> pools() {
        return nodes.stream().map(RedisNode::statistics).sorted(Comparator.comparing(PoolStatistics::node)).toList();
    }
}
