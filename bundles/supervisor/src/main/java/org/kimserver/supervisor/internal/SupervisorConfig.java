package org.kimserver.supervisor.internal;

/**
 * What the supervisor reads of etc/kimserver.json, merged from the PIDs {@code kimserver.server} (worker_cnt,
 * server_name, worker_java_opts, canary_ms, canary_failure_pct, maven_repositories, maven_local_repository) and {@code kimserver.gate} (stop_timeout_ms, is_reuseport, gate_host); the keys
 * are declared in {@code org.kimserver.config.ConfigSchema}.
 */
@interface SupervisorConfig {
    int worker_cnt() default 1;

    String server_name() default "kimserver";

    String[] worker_java_opts() default {};

    int canary_ms() default 3000;

    int canary_failure_pct() default 1;

    int stop_timeout_ms() default 10000;

    boolean is_reuseport() default false;

    String gate_host() default "";

    String[] maven_repositories() default {};

    String maven_local_repository() default "";
}
