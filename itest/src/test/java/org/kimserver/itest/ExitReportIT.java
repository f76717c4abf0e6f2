package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.exiting.ExitingHandler;
import org.kimserver.testkit.WireClient;

/** A worker's log names who ended its JVM, also when it is a handler on a virtual thread; the manager restarts it. */
public class ExitReportIT {
    private UnzippedDistribution dist;

    @Before
    public void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-exit");
    }

    @After
    public void stop() throws Exception {
        dist.close();
    }

    @Test
    public void aHandlerThatCallsSystemExitOnItsVirtualThreadIsNamedInTheLog() throws Exception {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.exitinghandler\">\n"
                + "  <implementation class=\"" + ExitingHandler.class.getName() + "\"/>\n"
                + "  <service><provide interface=\"org.kimserver.api.CommandHandler\"/></service>\n"
                + "  <property name=\"kim.cmd\" type=\"String\" value=\"4242\"/>\n"
                + "</scr:component>\n";
        TestBundles.write(dist.path("deploy/exiting-handler.jar"), Map.of("Bundle-SymbolicName",
                "kim.itest.exitinghandler", "Bundle-Version", "1.0.0", "Import-Package", "org.kimserver.api",
                "Service-Component", "OSGI-INF/exiting.xml"),
                Map.of("OSGI-INF/exiting.xml", TestBundles.utf8(xml),
                        ExitingHandler.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(ExitingHandler.class)));
        dist.startServing("4242");
        try (WireClient client = new WireClient(dist.gatePort())) {
            client.send(WireClient.request(4242, 1, "exit"));
            try {
                client.read();
            } catch (IOException e) {
                // the JVM ended before it replied, as it should
            }
        }
        // The handler ended its worker's JVM, not the server: the manager logs the exit and starts the worker again.
        UnzippedDistribution.await("the worker's exit logged by the manager", 40, () -> dist.log().matches(
                "(?s).*worker 1 \\(pid \\d+\\) exited with exit code \\d+.*"));
        String log = dist.workerLog(1);
        assertTrue(log, log.contains("the JVM is exiting: System.exit called by virtual thread"));
        assertTrue(log, log.contains("at " + ExitingHandler.class.getName() + ".handle("));
        assertEquals("the manager stays up", 0, dist.kimserver("status").exitCode());
        UnzippedDistribution.await("the worker serving again", 40, () -> {
            try (WireClient client = new WireClient(dist.gatePort())) {
                return client.send(WireClient.request(1001, 1, "1 - hello")).read().code() == 0;
            } catch (IOException e) {
                return false;
            }
        });
    }
}
