package org.kimserver.itest;

import static org.junit.Assert.assertTrue;

import java.io.IOException;
import javax.inject.Inject;
import org.apache.felix.service.command.CommandProcessor;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.api.diag.ServerInfoService;
import org.kimserver.testkit.Await;
import org.kimserver.testkit.KimContainer;
import org.kimserver.testkit.KimShell;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.ops4j.pax.exam.util.Filter;

/** gate_port 0 lets the system choose the port: kim:info shows the one the gate listens on. */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class GatePortZeroIT {
    @Inject
    @Filter(timeout = 30000)
    private CommandProcessor commands;

    @Inject
    @Filter(timeout = 30000)
    private ServerInfoService server;

    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create(0).options();
    }

    @Test
    public void kimInfoShowsWhereTheGateListens() throws Exception {
        Await.until("the gate's address in ServerInfo", () -> server.info().gateAddress().matches(
                ".+:[1-9][0-9]*"));
        String info = KimShell.runOrFail(commands, "kim:info");
        assertTrue(info, info.contains("gate " + server.info().gateAddress() + ","));
    }
}
