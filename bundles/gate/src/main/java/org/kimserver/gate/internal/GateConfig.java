package org.kimserver.gate.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The gate keys of etc/kimserver.json (PID {@code kimserver.gate}); see the README's configuration table. */
@ObjectClassDefinition(id = "kimserver.gate", name = "kimserver gate",
        description = "The client listener: address, limits and timeouts")
@interface GateConfig {
    @AttributeDefinition(description = "Address to listen on; empty: do not listen")
    String gate_host() default "";

    @AttributeDefinition(description = "Port to listen on; 0 picks a free one")
    int gate_port() default 0;

    @AttributeDefinition(description = "Milliseconds without a read or write after which a connection is closed")
    int keep_alive() default 15000;

    @AttributeDefinition(description = "Connections beyond this many are closed as soon as they are accepted")
    int max_clients() default 20000;

    @AttributeDefinition(description = "Largest body length accepted; a larger one closes the connection")
    int max_frame_size() default 1 << 20;

    @AttributeDefinition(description = "Close the connection after answering an unknown command, as the original")
    boolean close_on_unknown_cmd() default true;

    @AttributeDefinition(description = "Milliseconds a request waits for a handler when its command lost its handler"
            + " that recently (a module being updated); 0: answer code 4 at once")
    int handler_grace_ms() default 3000;

    @AttributeDefinition(description = "Network threads of the gate; 0: one per core")
    int io_threads() default 0;
}
