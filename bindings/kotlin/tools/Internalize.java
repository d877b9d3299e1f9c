// Makes every top-level declaration of uniffi-generated Kotlin files `internal`, so the
// generated package (com.poke.ffi) stays out of the SDK's public API: users see only the
// hand-written layer. Run by the build (exec-maven-plugin) as a single-file Java program, so it
// needs nothing but the JDK that Maven already runs on:
//
//   java Internalize.java <dir>...      # rewrites every *.kt under each <dir> in place
//
// A declaration is top-level when it starts outside every brace and parenthesis (comments and
// string literals skipped). Members keep their visibility: an internal class makes them
// internal too. `public` becomes `internal`; `private` and `internal` stay. Any other code that
// starts at the top level and is not a declaration, an import or a bracket fails the build
// rather than staying public.
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

public final class Internalize {
    /** Optional annotations, then the modifiers and keyword that start a declaration. */
    private static final Pattern DECLARATION = Pattern.compile(
        "^((?:@[\\w.]+(?:\\([^)]*\\))?\\s+)*)"
            + "((?:(?:open|abstract|sealed|data|enum|inline|value|fun|annotation|const|operator|infix|tailrec|suspend|external)\\s+)*"
            + "(?:class|interface|object|fun|val|var|typealias)\\b.*)");
    private static final Pattern VISIBLE = Pattern.compile("^((?:@[\\w.]+(?:\\([^)]*\\))?\\s+)*)(public|private|internal|protected)\\b(.*)");

    private boolean inBlockComment;
    private int braces;
    private int parens;
    /** The previous line's code ended with `=`: this one continues an expression body. */
    private boolean continues;

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java Internalize.java <dir>...");
            System.exit(2);
        }
        int files = 0;
        for (String dir : args) {
            List<Path> sources;
            try (Stream<Path> walk = Files.walk(Path.of(dir))) {
                sources = walk.filter(p -> p.toString().endsWith(".kt")).sorted().toList();
            }
            for (Path file : sources) {
                new Internalize().rewrite(file);
                files++;
            }
        }
        if (files == 0) {
            System.err.println("Internalize: no .kt files under " + String.join(", ", args));
            System.exit(1);
        }
    }

    private void rewrite(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            out.add(line(line, file, lineNo));
        }
        if (braces != 0 || parens != 0 || inBlockComment) {
            throw new IllegalStateException(file + ": unbalanced at the end (braces " + braces + ", parens " + parens + ")");
        }
        Files.write(file, out, StandardCharsets.UTF_8);
    }

    /** The line with its top-level declaration made internal; updates the nesting state. */
    private String line(String line, Path file, int lineNo) {
        boolean topLevel = braces == 0 && parens == 0 && !continues;
        int code = -1; // where the line's first code starts, if it starts at the top level
        char last = 0; // the line's last code character
        int i = 0;
        int n = line.length();
        while (i < n) {
            char c = line.charAt(i);
            if (inBlockComment) {
                if (line.startsWith("*/", i)) {
                    inBlockComment = false;
                    i += 2;
                } else {
                    i++;
                }
                continue;
            }
            if (line.startsWith("//", i)) {
                break;
            }
            if (line.startsWith("/*", i)) {
                inBlockComment = true;
                i += 2;
                continue;
            }
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            if (code < 0) {
                code = topLevel && braces == 0 && parens == 0 ? i : Integer.MAX_VALUE;
            }
            last = c;
            if (c == '"') {
                i = skipString(line, i);
                continue;
            }
            if (c == '\'') {
                int end = line.indexOf('\'', i + (line.startsWith("'\\", i) ? 3 : 2));
                i = end < 0 ? n : end + 1;
                continue;
            }
            if (c == '{') braces++;
            else if (c == '}') braces--;
            else if (c == '(') parens++;
            else if (c == ')') parens--;
            i++;
        }
        if (code >= 0) {
            continues = last == '=';
        }
        if (code < 0 || code == Integer.MAX_VALUE) {
            return line;
        }
        String head = line.substring(0, code);
        String rest = line.substring(code);
        Matcher visible = VISIBLE.matcher(rest);
        if (visible.matches()) {
            return visible.group(2).equals("public")
                ? head + visible.group(1) + "internal" + visible.group(3)
                : line;
        }
        Matcher declaration = DECLARATION.matcher(rest);
        if (declaration.matches()) {
            return head + declaration.group(1) + "internal " + declaration.group(2);
        }
        if (rest.startsWith("package ") || rest.startsWith("import ") || rest.startsWith("@")
            || rest.startsWith("{") || rest.startsWith("}") || rest.startsWith(")")) {
            return line;
        }
        throw new IllegalStateException(file + ":" + lineNo + ": unrecognised top-level code: " + line);
    }

    /** The index after the string literal starting at [start] (templates' braces balance). */
    private static int skipString(String line, int start) {
        if (line.startsWith("\"\"\"", start)) {
            int end = line.indexOf("\"\"\"", start + 3);
            if (end < 0) {
                throw new IllegalStateException("multi-line raw strings are not supported: " + line);
            }
            return end + 3;
        }
        int i = start + 1;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == '\\') {
                i += 2;
            } else if (c == '"') {
                return i + 1;
            } else {
                i++;
            }
        }
        throw new IllegalStateException("unterminated string: " + line);
    }
}
