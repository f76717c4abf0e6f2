package ${package}.internal;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/** A plain unit test: the handler without a server. */
public class NoteHandlerTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static Request request(String data) {
        return new Request() {
            @Override
            public int cmd() {
                return ${blockingCmd};
            }

            @Override
            public int seq() {
                return 1;
            }

            @Override
            public byte[] data() {
                return data.getBytes(StandardCharsets.UTF_8);
            }
        };
    }

    @Test
    public void countsTheNotesItKeeps() throws Exception {
        Path notes = folder.getRoot().toPath().resolve("data/notes.txt");
        NoteHandler handler = new NoteHandler(notes);
        assertEquals("1", handler.handle(request("first")).data());
        assertEquals("2", handler.handle(request("second")).data());
        assertEquals(List.of("first", "second"), Files.readAllLines(notes));
    }

    @Test
    public void refusesAnEmptyNote() throws Exception {
        Reply reply = new NoteHandler(folder.getRoot().toPath().resolve("notes.txt")).handle(request(" "));
        assertEquals(5, reply.code());
    }
}
