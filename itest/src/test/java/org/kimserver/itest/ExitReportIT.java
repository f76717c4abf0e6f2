package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.itest.exiting.ExitingHandler;

/** The unzipped distribution's log names who ended the JVM, also when it is a handler on a virtual thread. */
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

    private List<ProcessHandle> servers() {
        String homeOption = "-Dkimserver.home=" + dist.home();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(a -> List.of(a).contains(homeOption)).orElse(false))
                .toList();
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
        Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        dist.awaitCommand("4242");
        try (WireClient client = new WireClient(dist.gatePort())) {
            client.send(WireClient.request(4242, 1, "exit"));
            try {
                client.read();
            } catch (IOException e) {
                // the JVM ended before it replied, as it should
            }
        }
        UnzippedDistribution.await("the server gone", 40, () -> servers().isEmpty());
        String log = dist.log();
        assertTrue(log, log.contains("the JVM is exiting: System.exit called by virtual thread"));
        assertTrue(log, log.contains("at " + ExitingHandler.class.getName() + ".handle("));
    }
}
