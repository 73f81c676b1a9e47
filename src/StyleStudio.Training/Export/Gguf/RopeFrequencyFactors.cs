using StyleStudio.Training.Models;

namespace StyleStudio.Training.Export.Gguf;

/// <summary>
/// llama.cpp applies Llama 3.1's rope scaling as one divisor per rotary frequency, stored as the <c>rope_freqs.weight</c>
/// tensor; these are the divisors transformers' llama3 rope computes implicitly (and the converter writes).
/// </summary>
public static class RopeFrequencyFactors
{
    public static float[] Llama3(RopeScaling rope, int headDim)
    {
        double lowFreqWavelength = rope.OriginalMaxPositions / rope.LowFreqFactor;
        double highFreqWavelength = rope.OriginalMaxPositions / rope.HighFreqFactor;
        var factors = new float[headDim / 2];
        for (int i = 0; i < factors.Length; i++)
        {
            double frequency = 1.0 / Math.Pow(rope.Theta, 2.0 * i / headDim);
            double wavelength = 2 * Math.PI / frequency;
            if (wavelength < highFreqWavelength) factors[i] = 1;
            else if (wavelength > lowFreqWavelength) factors[i] = (float)rope.Factor;
            else
            {
                // Between the two bands the scaling blends smoothly from none to the full factor.
                double smooth = (rope.OriginalMaxPositions / wavelength - rope.LowFreqFactor) / (rope.HighFreqFactor - rope.LowFreqFactor);
                factors[i] = (float)(1 / ((1 - smooth) / rope.Factor + smooth));
            }
        }
        return factors;
    }
}
