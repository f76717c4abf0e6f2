package org.kimserver.config.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@code kim:reload}: reads etc/kimserver.json now, as SIGHUP does, and says whether it was applied or refused (and
 * why; a refusal fails the command). In the manager, a change of worker_cnt or worker_java_opts then starts, stops or replaces workers
 * ({@code kim:workers} shows them); each worker reads the file itself.
 */
@Component(service = ReloadCommand.class, property = {
        "osgi.command.scope=kim",
        "osgi.command.function=reload"})
public final class ReloadCommand {

    @Reference
    private JsonConfigPublisher publisher;

    @Descriptor("reads etc/kimserver.json now and applies it, or says why it is refused (the configuration in force"
            + " is kept then)")
    public String reload() {
        ConfigFileWatch.Outcome outcome = publisher.reload();
        String answer = outcome.describe(ConfigFileWatch.SUBJECT);
        if (outcome.isRefused()) {
            throw new IllegalStateException(answer); // a failed command: console exits 1
        }
        return answer;
    }
}
