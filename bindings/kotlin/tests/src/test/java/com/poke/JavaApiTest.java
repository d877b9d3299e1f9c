package com.poke;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.poke.testing.Emulator;
import com.poke.testing.RecordedRequest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import kotlinx.serialization.json.Json;
import kotlinx.serialization.json.JsonElementKt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The SDK from Java, as a Java user writes it: constructors with overloads, blocking calls
 * that throw IOException, CompletableFutures, lambdas for listeners, java.time types. Nothing
 * here names a Kotlin-only type (no Continuation, no unsigned numbers, no kotlin.time).
 */
class JavaApiTest {
    private Emulator emulator;

    @BeforeEach
    void start() {
        emulator = new Emulator();
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    /** The Java quickstart of bindings/kotlin/README.md, as written there. */
    @Test
    void readmeQuickstart() throws Exception {
        try (Emulator emulator = new Emulator();
             PokeClient poke = new PokeClient("pk_demo", emulator.getPokeApiUrl());
             PokeeClient pokee = new PokeeClient("pk_demo", emulator.getPokeeApiUrl())) {
            SendMessageResult reply = poke.sendMessageBlocking("hello from Java");
            CompletableFuture<SendMessageResult> later = poke.sendMessageAsync("and again");

            Session session = pokee.createSessionBlocking();
            Turn turn = session.send("Build the quarterly deck");
            turn.collectBlocking(event -> System.out.println(event.getType()));
            Turn rest = session.resume(turn.getResponseId(), turn.getLastEventId()); // nothing left: ends at once
            session.getFiles().uploadBlocking("notes/hello.txt", "hi".getBytes(StandardCharsets.UTF_8));

            assertTrue(reply.getSuccess());
            assertTrue(later.get().getSuccess());
            List<TurnEvent> none = new ArrayList<>();
            rest.collectBlocking(none::add);
            assertEquals(List.of(), none);
            assertEquals(1, session.getFiles().listBlocking("notes").size());
        } catch (PokeApiException e) {
            System.err.println(e.getStatus() + " " + e.getMessage());
            throw e;
        }
    }

    @Test
    void sendMessageBlockingAndAsync() throws Exception {
        try (PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl())) {
            SendMessageResult reply = client.sendMessageBlocking("hello from Java");
            assertTrue(reply.getSuccess());
            assertEquals("Message sent successfully", reply.getMessage());
            CompletableFuture<SendMessageResult> later = client.sendMessageAsync("and again");
            assertTrue(later.get().getSuccess());
        }
        List<RecordedRequest> requests = emulator.requests();
        assertEquals(2, requests.size());
        assertEquals("{\"message\":\"hello from Java\"}", requests.get(0).getBody());
        assertTrue(requests.get(0).header("User-Agent").startsWith("poke-kotlin/"));
    }

    @Test
    void apiErrorsAreCheckedIoExceptionsWithJavaTypes() {
        emulator.addFault("{\"path\":\"/api/v1/inbound/api-message\",\"status\":429,"
            + "\"headers\":{\"Retry-After\":\"7\",\"x-request-id\":\"req_java\"}}");
        try (PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl(), null, 0)) {
            client.sendMessageBlocking("hi");
            throw new AssertionError("expected a 429");
        } catch (PokeApiException e) {
            assertEquals(429, e.getStatus());
            assertEquals(ApiErrorKind.RATE_LIMITED, e.getKind());
            assertEquals(Duration.ofSeconds(7), e.getRetryAfter());
            assertEquals("req_java", e.getRequestId());
            assertEquals("7", e.header("retry-after"));
            assertEquals(List.of("req_java"), e.getHeaders().get("x-request-id"));
            assertEquals("Rate limited. Please slow down and retry.", e.getMessage());
        } catch (IOException e) {
            throw new AssertionError("not an API error", e);
        }
    }

    @Test
    void timeoutsAndConnectionFailures() throws IOException {
        emulator.addFault("{\"path\":\"/api/v1/inbound/api-message\",\"stall_ms\":3000}");
        try (PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl(),
                Timeouts.ofTotal(Duration.ofMillis(300)), 0)) {
            PokeTimeoutException e = assertThrows(PokeTimeoutException.class, () -> client.sendMessageBlocking("hi"));
            assertEquals(TimeoutPhase.TOTAL, e.getPhase());
            assertEquals(Duration.ofMillis(300), e.getLimit());
        }
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        try (PokeClient client = new PokeClient("pk_java", "http://127.0.0.1:" + port + "/api/v1")) {
            PokeConnectionException e = assertThrows(PokeConnectionException.class, () -> client.sendMessageBlocking("hi"));
            assertFalse(e.getMaybeSent());
            assertInstanceOf(ConnectException.class, e.getCause());
            // The future fails with the same exception.
            ExecutionException failed = assertThrows(ExecutionException.class, () -> client.sendMessageAsync("hi").get());
            assertInstanceOf(PokeConnectionException.class, failed.getCause());
        }
    }

    @Test
    void interruptingAThreadStopsItsBlockingCall() throws Exception {
        long fault = emulator.addFault("{\"path\":\"/api/v1/inbound/api-message\",\"stall_ms\":5000}");
        try (PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl(), null, 0)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread caller = new Thread(() -> {
                try {
                    client.sendMessageBlocking("never answered");
                } catch (Throwable t) {
                    thrown.set(t);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            });
            caller.start();
            Thread.sleep(300); // the request waits in the emulator's stall
            long t0 = System.nanoTime();
            caller.interrupt();
            caller.join(4_000);
            long stoppedMs = (System.nanoTime() - t0) / 1_000_000;
            assertFalse(caller.isAlive(), "the call did not stop");
            // Well before the 5 s stall ends: the interruption stopped it, not an answer.
            assertTrue(stoppedMs < 4_000, "stopped after " + stoppedMs + " ms");
            assertInstanceOf(InterruptedIOException.class, thrown.get());
            assertTrue(stillInterrupted.get(), "the thread's interrupt flag was cleared");
            // The client (and its lane) still works.
            emulator.removeFault(fault);
            assertTrue(client.sendMessageBlocking("after").getSuccess());
        }
    }

    @Test
    void sessionCallsFollowJavasInterruptConventionsAndHaveFutures() throws Exception {
        try (PokeeClient pokee = new PokeeClient("pk_java", emulator.getPokeeApiUrl())) {
            Session session = pokee.createSessionBlocking();
            long fault = emulator.addFault("{\"path\":\"/v1/sessions/*\",\"method\":\"GET\",\"delay_ms\":5000}");
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean stillInterrupted = new AtomicBoolean();
            Thread caller = new Thread(() -> {
                try {
                    session.refreshBlocking();
                } catch (Throwable t) {
                    thrown.set(t);
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                }
            });
            caller.start();
            Thread.sleep(300); // the request waits in the emulator's delay
            caller.interrupt();
            caller.join(4_000);
            assertFalse(caller.isAlive(), "the call did not stop");
            // An IOException (catchable where the method declares IOException), flag kept.
            assertInstanceOf(InterruptedIOException.class, thrown.get());
            assertTrue(stillInterrupted.get(), "the thread's interrupt flag was cleared");
            emulator.removeFault(fault);

            // A thread interrupted before the call sends nothing.
            emulator.clearRequests();
            Thread.currentThread().interrupt();
            try {
                assertThrows(InterruptedIOException.class, pokee::listSessionsBlocking);
            } finally {
                assertTrue(Thread.interrupted());
            }
            assertTrue(emulator.requests().isEmpty());

            // Every …Blocking call has an …Async twin.
            assertEquals(1, pokee.listSessionsAsync().get().size());
            assertEquals(session.getId(), session.refreshAsync().get().getId());
            session.getFiles().uploadAsync("a.txt", "hi".getBytes()).get();
            List<String> names = new ArrayList<>();
            for (FileEntry entry : session.getFiles().listAsync().get()) {
                names.add(entry.getName());
            }
            assertEquals(List.of("a.txt"), names);
            session.getFiles().deleteAsync("a.txt").get();
            assertTrue(session.getFiles().listAsync().get().isEmpty());
            session.deleteAsync().get();
            assertTrue(pokee.listSessionsAsync().get().isEmpty());
        }
    }

    @Test
    void webhooksWithJsonData() throws IOException {
        try (PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl())) {
            Webhook hook = client.createWebhookBlocking("when it rains", "remind me");
            assertFalse(hook.toString().contains(hook.getToken()));
            WebhookReply reply = client.sendWebhookBlocking(hook, Json.Default.parseToJsonElement("{\"mm\":3}"));
            assertEquals(200, reply.getStatus());
        }
        assertTrue(emulator.webhookFires().toString().contains("\"mm\":3"));
    }

    @Test
    void aSessionTurnWithListeners() throws Exception {
        try (PokeeClient pokee = new PokeeClient("pk_java", emulator.getPokeeApiUrl())) {
            Session session = pokee.createSessionBlocking(SessionParams.builder()
                .persistent(true)
                .ttl(Duration.ofHours(1))
                .metadata(JsonElementKt.getJsonObject(Json.Default.parseToJsonElement("{\"owner\":\"java\"}")))
                .build());
            assertEquals(Duration.ofHours(1), session.getRecord().getTtl());
            assertEquals("java", JsonElementKt.getJsonPrimitive(session.getRecord().getMetadata().get("owner")).getContent());

            Turn turn = session.send("hello from Java events=8 pace_ms=0");
            List<String> ids = new ArrayList<>();
            turn.collectBlocking(event -> ids.add(event.getId()));
            assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7"), ids);
            assertNotNull(turn.getResponseId());
            assertEquals("7", turn.getLastEventId());

            List<SessionRecord> updates = new CopyOnWriteArrayList<>();
            SessionRecord idle = session.waitIdleBlocking(
                new WaitOptions(Duration.ofMillis(50), null, Duration.ofSeconds(30)), updates::add);
            assertFalse(idle.isBusy());
            assertEquals(idle, updates.get(updates.size() - 1));

            // A second collection replays the same turn from its first event.
            List<String> again = new ArrayList<>();
            turn.collectAsync(event -> again.add(event.getId())).get();
            assertEquals(ids, again);
        }
    }

    @Test
    void filesWithProgressAndPaths() throws IOException {
        Path dir = Files.createTempDirectory("poke-java-files");
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 251);
        }
        Path source = Files.write(dir.resolve("in.bin"), data);
        try (PokeeClient pokee = new PokeeClient("pk_java", emulator.getPokeeApiUrl())) {
            Session session = pokee.createSessionBlocking();
            List<Long> done = new CopyOnWriteArrayList<>();
            UploadResult stored = session.getFiles().uploadBlocking("in/data.bin", source, (bytes, total) -> done.add(bytes));
            assertEquals(data.length, stored.getSize());
            assertEquals(Long.valueOf(data.length), done.get(done.size() - 1));
            Path dest = dir.resolve("out.bin");
            assertEquals(data.length, session.getFiles().downloadBlocking("in/data.bin", dest));
            assertArrayEquals(data, Files.readAllBytes(dest));
            assertThrows(IllegalArgumentException.class, () -> session.getFiles().uploadBlocking("../up.bin", source));
            // A listener's own exception is what the caller gets.
            IllegalStateException stop = new IllegalStateException("stop here");
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> session.getFiles().downloadBlocking("in/data.bin", dir.resolve("never.bin"), (bytes, total) -> {
                    throw stop;
                }));
            assertEquals(stop, thrown);
            assertFalse(Files.exists(dir.resolve("never.bin")));
        }
    }

    @Test
    void skillsAndStatelessResponses() throws Exception {
        Path dir = Files.createTempDirectory("poke-java-skill");
        Files.writeString(dir.resolve("SKILL.md"), "# Java skill");
        try (PokeeClient pokee = new PokeeClient("pk_java", emulator.getPokeeApiUrl())) {
            List<Long> done = new CopyOnWriteArrayList<>();
            InstalledSkill installed = pokee.getSkills().installBlocking("java-skill", dir, (d, total) -> done.add(d));
            assertEquals(List.of("SKILL.md"), installed.getFiles());
            assertEquals(List.of("java-skill"), pokee.getSkills().listBlocking().stream().map(Skill::getName).toList());
            pokee.getSkills().deleteBlocking("java-skill");
            PokeApiException gone = assertThrows(PokeApiException.class, () -> pokee.getSkills().deleteBlocking("java-skill"));
            assertEquals(ApiErrorKind.NOT_FOUND, gone.getKind());

            Response reply = pokee.getResponses().createBlocking(ResponseParams.builder().input("hello from Java").build());
            assertEquals("Echo: hello from Java", reply.getOutputText());

            ResponseStream stream = pokee.getResponses().stream(ResponseParams.builder().input("count events=10").build());
            List<Long> seq = new ArrayList<>();
            stream.collectBlocking(event -> seq.add(event.getSequenceNumber()));
            assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), seq);
            assertEquals("9", stream.getLastEventId());

            List<String> asked = new ArrayList<>();
            ToolRun run = pokee.getResponses().runToolsBlocking(
                ResponseParams.builder()
                    .input("weather in Paris? tool=get_weather")
                    .tools(List.of(new FunctionTool("get_weather")))
                    .build(),
                call -> {
                    asked.add(call.getName());
                    return "cloudy";
                });
            assertEquals(List.of("get_weather"), asked);
            assertEquals(2, run.getRounds());
            assertTrue(run.getResponse().getOutputText().contains("cloudy"));
        }
    }

    @Test
    void closedClientsRefuseCalls() {
        PokeClient client = new PokeClient("pk_java", emulator.getPokeApiUrl());
        client.close();
        assertThrows(IllegalStateException.class, () -> client.sendMessageBlocking("hi"));
        assertNull(CallbackContext.fromHeaders(java.util.Map.of("accept", "*/*")));
    }
}
