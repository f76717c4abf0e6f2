package ${package};

import static org.junit.Assert.assertEquals;

import java.io.IOException;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.kimserver.testkit.KimContainer;
import org.kimserver.testkit.KimServer;
import org.kimserver.testkit.WireClient;
import org.ops4j.pax.exam.Configuration;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;

/** The module in a real kimserver: deployed from this build as the server deploys it, called over the wire. */
@RunWith(PaxExam.class)
public class ModuleIT {
    @Configuration
    public Option[] config() throws IOException {
        return KimContainer.create().projectModule().options();
    }

    @Test
    public void answersOverTheWireProtocol() throws Exception {
        assertEquals("hello, kim", KimServer.awaitServed(${cmd}, "kim").data());
        try (WireClient client = KimServer.connect()) {
            assertEquals("1", client.call(${blockingCmd}, "first note").data());
            assertEquals("2", client.call(${blockingCmd}, "second note").data());
        }
    }
}
