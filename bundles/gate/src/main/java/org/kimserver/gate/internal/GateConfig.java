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

    @AttributeDefinition(description = "The client codec; protobuf is the only one")
    String gate_codec() default "protobuf";

    @AttributeDefinition(description = "Every worker listens on the gate port with SO_REUSEPORT")
    boolean is_reuseport() default false;

    @AttributeDefinition(description = "Milliseconds without a read or write after which a connection is closed")
    int keep_alive() default 15000;

    @AttributeDefinition(description = "Connections beyond this many are closed as soon as they are accepted")
    int max_clients();

    @AttributeDefinition(description = "Largest body length accepted; a larger one closes the connection")
    int max_frame_size() default 1 << 20;

    @AttributeDefinition(description = "Close the connection after answering an unknown command, as the original")
    boolean close_on_unknown_cmd() default true;

    @AttributeDefinition(description = "Milliseconds a request waits for a handler when its command lost its handler"
            + " that recently (a module being updated); 0: answer code 4 at once")
    int handler_grace_ms() default 3000;

    @AttributeDefinition(description = "Network threads of the gate; 0: one per core")
    int io_threads() default 0;

    @AttributeDefinition(description = "Milliseconds a frame may take to arrive whole, from its first byte")
    int frame_timeout_ms() default 10000;

    @AttributeDefinition(description = "Bytes a second a long body must arrive at, on average, when it needs more"
            + " than frame_timeout_ms; 0: frame_timeout_ms for every frame")
    int min_body_rate() default 65536;

    @AttributeDefinition(description = "Connections one client address may hold; 0: no limit")
    int max_clients_per_ip() default 0;

    @AttributeDefinition(description = "Megabytes all connections together may hold in incomplete frames, queued"
            + " requests and unwritten replies")
    int max_buffered_mb() default 128;

    @AttributeDefinition(description = "Milliseconds a stop waits for open connections to be served and quiet")
    int stop_timeout_ms() default 10000;
}
