package com.poke

import java.time.Instant

/**
 * One custom skill of [Skills.list].
 *
 * @property name the skill's name.
 * @property skillMdSize the size of its `SKILL.md`, in bytes.
 * @property modified when it was installed.
 */
public data class Skill(val name: String, val skillMdSize: Long, val modified: Instant?)

/**
 * The answer to [Skills.install].
 *
 * @property name the skill's name.
 * @property files its regular files, relative to the skill root, sorted.
 * @property totalBytes the unpacked size of every file, in bytes.
 * @property skillMdSize the size of its `SKILL.md`, in bytes.
 */
public data class InstalledSkill(val name: String, val files: List<String>, val totalBytes: Long, val skillMdSize: Long)
