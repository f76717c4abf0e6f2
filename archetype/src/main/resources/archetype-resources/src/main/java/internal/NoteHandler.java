package ${package}.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * cmd ${blockingCmd}: appends the request's data as a line to {@code data/${artifactId}-notes.txt} in the server
 * home and answers how many lines the file has. File I/O blocks, so this handler does not say kim.non.blocking: the
 * gate calls it on a virtual thread, where blocking (a file, JDBC, Redis) is fine.
 */
@Component(property = CommandHandler.CMD + "=${blockingCmd}")
public final class NoteHandler implements CommandHandler {
    private final Path notes;

    @Activate
    public NoteHandler(BundleContext context) {
        this(Path.of(context.getProperty("kimserver.home"), "data", "${artifactId}-notes.txt"));
    }

    NoteHandler(Path notes) {
        this.notes = notes;
    }

    @Override
    public Reply handle(Request request) throws IOException {
        String note = request.dataAsString();
        if (note.isBlank() || note.contains("\n")) {
            return Reply.of(ErrorCode.INVALID_PARAMS, "a note is one line of text", "");
        }
        synchronized (this) { // one writer at a time, so that the count is this note's
            Files.createDirectories(notes.getParent());
            Files.writeString(notes, note + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
            return Reply.ok("ok", Long.toString(Files.readAllLines(notes, StandardCharsets.UTF_8).size()));
        }
    }
}
